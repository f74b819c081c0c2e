"""The App Home tab and `/vps cost`: my servers, my spend, what waits for me."""
