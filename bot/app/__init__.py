"""The process: the command line, the HTTP server and the Bolt app that wires every feature.

Top layer of ``bot/``: it imports the feature packages; none of them imports it.
"""
