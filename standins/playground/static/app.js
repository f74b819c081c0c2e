// vpsbot playground: renders the channel, ephemeral messages and modals the Slack stand-in
// holds, in Block Kit, and sends what the person does back as Slack's requests (the server
// signs them). Plain JS, no build step.
"use strict";

const S = {
  info: null,
  user: null,
  channel: null,
  version: -1,
  generation: 0,
  state: null,
  nodes: new Map(), // message key -> {sig, node}
  openThreads: new Set(),
  seenAt: new Map(), // ts -> Date first seen
  modalKey: null,
  viewState: {}, // view_id -> last state.values collected from the page
};

// ------------------------------------------------------------------ helpers

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "html") node.innerHTML = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function esc(text) {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let data = {};
  try {
    data = await response.json();
  } catch (_) {
    data = {};
  }
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

let toastTimer = null;
function toast(text) {
  const node = document.getElementById("toast");
  node.textContent = text;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (node.hidden = true), 4000);
}

// ------------------------------------------------------------------ text

const EMOJI = {
  warning: "⚠️", x: "❌", white_check_mark: "✅", grey_question: "❔",
  hourglass_flowing_sand: "⏳", hourglass: "⌛", large_green_circle: "🟢", red_circle: "🔴",
  black_circle: "⚫", white_circle: "⚪", large_yellow_circle: "🟡", large_orange_circle: "🟠",
  large_blue_circle: "🔵", wastebasket: "🗑️", key: "🔑", information_source: "ℹ️",
  no_entry_sign: "🚫", no_entry: "⛔", mag: "🔍", heavy_minus_sign: "➖", gear: "⚙️",
  arrows_counterclockwise: "🔄", rocket: "🚀", tada: "🎉", lock: "🔒", zap: "⚡",
  electric_plug: "🔌", computer: "💻", desktop_computer: "🖥️", globe_with_meridians: "🌐",
  moneybag: "💰", money_with_wings: "💸", bulb: "💡", pencil: "📝", memo: "📝",
  clipboard: "📋", link: "🔗", bell: "🔔", stopwatch: "⏱️", hammer_and_wrench: "🛠️",
  wrench: "🔧", package: "📦", floppy_disk: "💾", cloud: "☁️", fire: "🔥", eyes: "👀",
  thumbsup: "👍", "+1": "👍", heavy_check_mark: "✔️", exclamation: "❗", question: "❓",
  arrow_right: "➡️", arrow_left: "⬅️", recycle: "♻️", stop_sign: "🛑", sparkles: "✨",
  shield: "🛡️", busts_in_silhouette: "👥", bust_in_silhouette: "👤", date: "📅",
  calendar: "📆", chart_with_upwards_trend: "📈", construction: "🚧", skull: "💀",
  alarm_clock: "⏰", raised_hand: "✋", hand: "✋", money_mouth_face: "🤑", bar_chart: "📊",
};

function emoji(html) {
  return html.replace(/:([a-z0-9_+-]+):/g, (match, name) => EMOJI[name] || match);
}

function unslack(text) {
  // Slack sends &, < and > escaped in message text
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function nameOf(id) {
  return (S.state && S.state.names && S.state.names[id]) || id;
}

function linkHtml(inner) {
  const bar = inner.indexOf("|");
  const target = bar >= 0 ? inner.slice(0, bar) : inner;
  const label = bar >= 0 ? inner.slice(bar + 1) : "";
  if (target.startsWith("@")) {
    return `<span class="mention">@${esc(label || nameOf(target.slice(1)))}</span>`;
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    const channel = ((S.state && S.state.channels) || []).find((c) => c.id === id);
    return `<span class="mention">#${esc(label || (channel ? channel.name : id))}</span>`;
  }
  if (target.startsWith("!date^")) {
    // <!date^unix^{format}|fallback>: the reader's local time; the fallback if unreadable
    const when = new Date(Number(target.split("^")[1]) * 1000);
    const shown = Number.isNaN(when.getTime()) ? label : when.toLocaleString([], {
      dateStyle: "medium",
      timeStyle: "short",
    });
    return `<time>${esc(unslack(shown || label))}</time>`;
  }
  if (target.startsWith("!")) {
    const word = target.slice(1).split("^")[0];
    return `<span class="mention">@${esc(label || word)}</span>`;
  }
  if (/^(https?:|mailto:)/i.test(target)) {
    return `<a href="${esc(unslack(target))}" target="_blank" rel="noopener noreferrer">${esc(
      unslack(label || target)
    )}</a>`;
  }
  return esc(unslack(`<${inner}>`));
}

function mrkdwn(source) {
  const held = [];
  const hold = (html) => `\u0000${held.push(html) - 1}\u0000`;
  let text = String(source == null ? "" : source);
  text = text.replace(/```([\s\S]*?)```/g, (_, code) => hold(`<pre>${esc(unslack(code))}</pre>`));
  text = text.replace(/`([^`\n]+)`/g, (_, code) => hold(`<code>${esc(unslack(code))}</code>`));
  text = text.replace(/<([^<>\n]+)>/g, (_, inner) => hold(linkHtml(inner)));
  text = esc(unslack(text));
  const edge = "(^|[\\s(\\u0000])";
  const after = "(?=$|[\\s).,!?:;\\u0000])";
  text = text.replace(new RegExp(`${edge}\\*([^*\\n]+?)\\*${after}`, "g"), "$1<b>$2</b>");
  text = text.replace(new RegExp(`${edge}_([^_\\n]+?)_${after}`, "g"), "$1<i>$2</i>");
  text = text.replace(new RegExp(`${edge}~([^~\\n]+?)~${after}`, "g"), "$1<s>$2</s>");
  text = text.replace(/^&gt; ?(.*)$/gm, "<blockquote>$1</blockquote>");
  text = emoji(text);
  // held pieces may nest (a link inside bold): resolve until none is left
  while (/\u0000\d+\u0000/.test(text)) {
    text = text.replace(/\u0000(\d+)\u0000/g, (_, i) => held[Number(i)]);
  }
  return text;
}

function plain(source, withEmoji = true) {
  const html = esc(source == null ? "" : source);
  return withEmoji ? emoji(html) : html;
}

function textHtml(obj) {
  if (obj == null) return "";
  if (typeof obj === "string") return plain(obj);
  if (obj.type === "mrkdwn") return mrkdwn(obj.text);
  return plain(obj.text, obj.emoji !== false);
}

function textNode(tag, obj, cls) {
  return h(tag, { class: cls, html: textHtml(obj) });
}

function plainOf(obj) {
  if (obj == null) return "";
  return typeof obj === "string" ? obj : String(obj.text || "");
}

function placeBelow(anchor, popup, matchWidth) {
  // popups are fixed to the viewport so a modal's scrolling body cannot clip them
  const rect = anchor.getBoundingClientRect();
  popup.style.position = "fixed";
  popup.style.left = `${Math.max(4, matchWidth ? rect.left : rect.right - 180)}px`;
  if (matchWidth) popup.style.width = `${rect.width}px`;
  popup.style.top = `${rect.bottom + 2}px`;
  popup.style.bottom = "auto";
  const height = popup.getBoundingClientRect().height;
  if (rect.bottom + height + 8 > window.innerHeight && rect.top > height + 8) {
    popup.style.top = "auto";
    popup.style.bottom = `${window.innerHeight - rect.top + 2}px`;
  }
}

function unsupported(what) {
  return h(
    "div",
    { class: "unsupported", role: "note" },
    `The playground cannot render ${what}; in Slack it would show here.`
  );
}

// ------------------------------------------------------------------ Block Kit

const STATEFUL = new Set([
  "plain_text_input", "number_input", "email_text_input", "url_text_input",
  "static_select", "external_select", "users_select", "conversations_select", "channels_select",
  "multi_static_select", "multi_external_select", "multi_users_select",
  "multi_conversations_select", "multi_channels_select",
  "checkboxes", "radio_buttons", "datepicker", "timepicker",
]);

// An image block shows either a public image_url or a file the app uploaded to Slack
// (slack_file: {id} or {url}); the stand-in serves uploaded files at /files/{id}.
function imageSource(image) {
  const file = image.slack_file;
  if (file && file.id) return "/files/" + encodeURIComponent(file.id);
  if (file && file.url) return file.url;
  return image.image_url;
}

function renderBlocks(blocks, ctx) {
  const root = h("div", { class: "blocks" });
  (blocks || []).forEach((block, index) => root.append(renderBlock(block, index, ctx)));
  return root;
}

function renderBlock(block, index, ctx) {
  const blockId = block.block_id || `_b${index}`;
  const wrap = (cls, ...children) =>
    h("div", { class: `block ${cls}`, dataset: { blockId } }, ...children);
  switch (block.type) {
    case "section": {
      const main = h("div", { class: "text" });
      if (block.text) main.append(textNode("div", block.text));
      if (block.fields && block.fields.length) {
        main.append(h("div", { class: "fields" }, block.fields.map((f) => textNode("div", f))));
      }
      const node = wrap("block-section", main);
      if (block.accessory) node.append(renderElement(block.accessory, blockId, ctx, true));
      return node;
    }
    case "header":
      return wrap("block-header", textNode("div", block.text));
    case "divider":
      return wrap("block-divider-wrap", h("hr", { class: "block-divider" }));
    case "context":
      return wrap(
        "block-context",
        (block.elements || []).map((e) =>
          e.type === "image"
            ? h("img", { src: imageSource(e), alt: e.alt_text || "" })
            : textNode("span", e)
        )
      );
    case "actions":
      return wrap(
        "block-actions",
        (block.elements || []).map((e) => renderElement(e, blockId, ctx, true))
      );
    case "image":
      return wrap(
        "block-image",
        block.title ? textNode("div", block.title) : null,
        h("img", { src: imageSource(block), alt: block.alt_text || "" })
      );
    case "input": {
      const error = ctx.errors && ctx.errors[blockId];
      const element = block.element || {};
      const node = wrap(
        `block-input${error ? " has-error" : ""}`,
        h(
          "label",
          { class: "input-label" },
          h("span", { html: textHtml(block.label) }),
          block.optional ? h("span", { class: "optional" }, " (optional)") : null
        ),
        renderElement(element, blockId, ctx, Boolean(block.dispatch_action), true),
        block.hint ? textNode("div", block.hint, "input-hint") : null,
        error ? h("div", { class: "field-error", role: "alert" }, error) : null
      );
      return node;
    }
    default:
      return wrap("block-unsupported", unsupported(`a “${block.type}” block`));
  }
}

function findPreserved(ctx, blockId, actionId, type) {
  for (const source of [ctx.preserve, ctx.stateValues]) {
    const entry = source && source[blockId] && source[blockId][actionId];
    if (entry && entry.type === type) return entry;
  }
  return null;
}

function allOptions(element) {
  const list = [...(element.options || [])];
  for (const group of element.option_groups || []) list.push(...(group.options || []));
  return list;
}

function sameOption(a, b) {
  return a && b && a.value === b.value;
}

function renderElement(element, blockId, ctx, dispatches, inInput = false) {
  const type = element.type;
  const actionId = element.action_id || `_a_${blockId}`;
  const base = { block_id: blockId, action_id: actionId, type };
  const fire = (extra, node) => sendAction(ctx, element, { ...base, ...extra }, node);
  const stateful = (node, read) => {
    node.dataset.stateful = "1";
    node.dataset.stateBlock = blockId;
    node.dataset.actionId = actionId;
    node.dataset.type = type;
    node._read = () => ({ type, ...read() });
    return node;
  };
  const kept = findPreserved(ctx, blockId, actionId, type);
  switch (type) {
    case "button": {
      const button = h(
        "button",
        {
          type: "button",
          class: `btn ${element.style || ""}`,
          dataset: { actionId },
          html: textHtml(element.text),
        }
      );
      button.addEventListener("click", () => {
        if (element.url) window.open(element.url, "_blank", "noopener");
        fire({ text: element.text, value: element.value }, button);
      });
      return button;
    }
    case "static_select":
    case "users_select":
    case "conversations_select":
    case "channels_select":
    case "multi_static_select":
    case "multi_users_select":
    case "multi_conversations_select":
    case "multi_channels_select":
      return nativeSelect(element, ctx, kept, dispatches, stateful, fire);
    case "external_select":
    case "multi_external_select":
      return externalSelect(element, blockId, actionId, ctx, kept, dispatches, stateful, fire);
    case "overflow":
      return overflowMenu(element, fire);
    case "checkboxes":
    case "radio_buttons":
      return choiceList(element, actionId, ctx, kept, dispatches, stateful, fire);
    case "plain_text_input":
    case "number_input":
    case "email_text_input":
    case "url_text_input": {
      const multiline = type === "plain_text_input" && element.multiline;
      const attrs = {
        class: "el",
        placeholder: plainOf(element.placeholder),
        maxlength: element.max_length,
        minlength: element.min_length,
        "aria-label": actionId,
      };
      if (!multiline) {
        attrs.type = { number_input: "number", email_text_input: "email", url_text_input: "url" }[type] || "text";
        if (type === "number_input") {
          attrs.step = element.is_decimal_allowed ? "any" : "1";
          attrs.min = element.min_value;
          attrs.max = element.max_value;
        }
      }
      const input = h(multiline ? "textarea" : "input", attrs);
      input.value = kept ? kept.value || "" : element.initial_value || "";
      stateful(input, () => ({ value: input.value === "" ? null : input.value }));
      if (dispatches) {
        const config = element.dispatch_action_config || {};
        const on = config.trigger_actions_on || ["on_enter_pressed"];
        if (on.includes("on_enter_pressed")) {
          input.addEventListener("keydown", (event) => {
            if (event.key === "Enter" && !multiline) {
              event.preventDefault();
              fire({ value: input.value }, input);
            }
          });
        }
        if (on.includes("on_character_entered")) {
          input.addEventListener("input", () => fire({ value: input.value }, input));
        }
      }
      return input;
    }
    case "datepicker": {
      const input = h("input", { class: "el", type: "date", "aria-label": actionId });
      input.value = kept ? kept.selected_date || "" : element.initial_date || "";
      stateful(input, () => ({ selected_date: input.value || null }));
      if (dispatches) input.addEventListener("change", () => fire({ selected_date: input.value }, input));
      return input;
    }
    case "timepicker": {
      const input = h("input", { class: "el", type: "time", "aria-label": actionId });
      input.value = kept ? kept.selected_time || "" : element.initial_time || "";
      stateful(input, () => ({ selected_time: input.value || null }));
      if (dispatches) input.addEventListener("change", () => fire({ selected_time: input.value }, input));
      return input;
    }
    case "image":
      return h("img", { src: imageSource(element), alt: element.alt_text || "", width: 24, height: 24 });
    default:
      return unsupported(`a “${type}” element`);
  }
}

function pickerOptions(element) {
  const type = element.type.replace(/^multi_/, "");
  if (type === "users_select") {
    return S.info.users.map((u) => ({ text: { type: "plain_text", text: u.name }, value: u.id }));
  }
  if (type === "conversations_select" || type === "channels_select") {
    return ((S.state && S.state.channels) || [])
      .filter((c) => type === "conversations_select" || c.kind === "channel")
      .map((c) => ({ text: { type: "plain_text", text: c.kind === "im" ? c.name : `#${c.name}` }, value: c.id }));
  }
  return null;
}

function nativeSelect(element, ctx, kept, dispatches, stateful, fire) {
  const multi = element.type.startsWith("multi_");
  const kind = element.type.replace(/^multi_/, "");
  const picker = pickerOptions(element);
  const options = picker || allOptions(element);
  const select = h("select", { class: "el", multiple: multi, "aria-label": element.action_id });
  if (!multi) {
    select.append(h("option", { value: "" }, plainOf(element.placeholder) || "Select an item"));
  }
  const add = (parent, option) =>
    parent.append(h("option", { value: String(options.indexOf(option)), html: textHtml(option.text) }));
  if (!picker && element.option_groups) {
    for (const group of element.option_groups) {
      const node = h("optgroup", { label: plainOf(group.label) });
      (group.options || []).forEach((o) => add(node, o));
      select.append(node);
    }
  } else {
    options.forEach((o) => add(select, o));
  }
  // which options start selected: kept state (if still offered), else the initial ones
  const idKey = { users_select: "user", conversations_select: "conversation", channels_select: "channel" }[kind];
  const asOption = (value) => options.find((o) => o.value === value);
  let chosen = null;
  if (kept) {
    const picked = idKey
      ? (multi ? kept[`selected_${idKey}s`] || [] : [kept[`selected_${idKey}`]]).map(
          (value) => value && { value }
        )
      : multi ? kept.selected_options || [] : [kept.selected_option];
    chosen = picked.filter(Boolean).map((p) => options.find((o) => sameOption(o, p))).filter(Boolean);
    // what was picked is no longer offered (say, another provider's plans): start afresh
    if (picked.filter(Boolean).length && !chosen.length) chosen = null;
  }
  if (chosen === null) {
    if (idKey) {
      const ids = multi ? element[`initial_${idKey}s`] || [] : [element[`initial_${idKey}`]];
      chosen = ids.map(asOption).filter(Boolean);
    } else {
      const initial = multi ? element.initial_options || [] : [element.initial_option];
      chosen = initial.map((p) => options.find((o) => sameOption(o, p))).filter(Boolean);
    }
  }
  for (const option of chosen) {
    const node = select.querySelector(`option[value="${options.indexOf(option)}"]`);
    if (node) node.selected = true;
  }
  const picked = () =>
    [...select.selectedOptions].filter((o) => o.value !== "").map((o) => options[Number(o.value)]);
  const read = () => {
    const list = picked();
    if (idKey) {
      return multi
        ? { [`selected_${idKey}s`]: list.map((o) => o.value) }
        : { [`selected_${idKey}`]: list.length ? list[0].value : null };
    }
    return multi ? { selected_options: list } : { selected_option: list.length ? list[0] : null };
  };
  stateful(select, read);
  if (dispatches) select.addEventListener("change", () => fire(read(), select));
  return select;
}

function externalSelect(element, blockId, actionId, ctx, kept, dispatches, stateful, fire) {
  const multi = element.type === "multi_external_select";
  let chosen = multi
    ? (kept ? kept.selected_options : element.initial_options) || []
    : [(kept ? kept.selected_option : element.initial_option) || null].filter(Boolean);
  const wrapper = h("div", { class: "ext-select" });
  const chips = h("div", { class: "chips" });
  const input = h("input", {
    class: "el",
    type: "text",
    role: "combobox",
    "aria-label": actionId,
    placeholder: plainOf(element.placeholder) || "Type to search",
  });
  const list = h("ul", { class: "ext-options", role: "listbox", hidden: true });
  const minLength = element.min_query_length == null ? 3 : element.min_query_length;
  const showChosen = () => {
    if (multi) {
      chips.replaceChildren(
        ...chosen.map((o) =>
          h(
            "span",
            { class: "chip" },
            plainOf(o.text),
            h("button", {
              type: "button",
              class: "chip-x",
              "aria-label": `remove ${plainOf(o.text)}`,
              onclick: () => {
                chosen = chosen.filter((c) => !sameOption(c, o));
                showChosen();
                if (dispatches) fire(read(), wrapper);
              },
            }, "×")
          )
        )
      );
      input.value = "";
    } else {
      input.value = chosen.length ? plainOf(chosen[0].text) : "";
    }
  };
  const read = () =>
    multi ? { selected_options: chosen } : { selected_option: chosen.length ? chosen[0] : null };
  let timer = null;
  let asked = 0;
  const query = async () => {
    const value = input.value;
    if (value.length < minLength) {
      list.hidden = true;
      return;
    }
    const ticket = ++asked;
    let data;
    try {
      data = await post("/_playground/options", {
        user: S.user,
        channel: S.channel,
        view_id: ctx.viewId,
        message_ts: ctx.messageTs,
        ephemeral: ctx.ephemeral,
        action_id: actionId,
        block_id: blockId,
        value,
        state: ctx.collect ? ctx.collect() : {},
      });
    } catch (error) {
      data = { options: [] };
    }
    if (ticket !== asked) return; // a later keystroke asked again
    const items = [];
    const option = (o) =>
      h("li", {
        class: "option",
        role: "option",
        html: textHtml(o.text),
        onmousedown: (event) => {
          event.preventDefault();
          chosen = multi ? [...chosen.filter((c) => !sameOption(c, o)), o] : [o];
          list.hidden = true;
          showChosen();
          if (dispatches) fire(multi ? read() : { selected_option: o }, wrapper);
        },
      });
    for (const o of data.options || []) items.push(option(o));
    for (const group of data.option_groups || []) {
      items.push(h("li", { class: "group" }, plainOf(group.label)));
      for (const o of group.options || []) items.push(option(o));
    }
    if (!items.length) items.push(h("li", { class: "empty" }, "No results"));
    list.replaceChildren(...items);
    list.hidden = false;
    placeBelow(input, list, true);
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(query, 200);
  });
  input.addEventListener("focus", () => {
    if (!multi) input.select();
    if (minLength === 0) query();
  });
  input.addEventListener("blur", () => {
    setTimeout(() => {
      list.hidden = true;
      showChosen();
    }, 150);
  });
  showChosen();
  stateful(wrapper, read);
  wrapper.append(chips, input, list);
  return wrapper;
}

function overflowMenu(element, fire) {
  const wrapper = h("span", { class: "overflow" });
  const menu = h("ul", { class: "overflow-menu", hidden: true, role: "menu" });
  for (const option of element.options || []) {
    menu.append(
      h("li", {
        role: "menuitem",
        html: textHtml(option.text),
        onclick: () => {
          menu.hidden = true;
          if (option.url) window.open(option.url, "_blank", "noopener");
          fire({ selected_option: option }, wrapper);
        },
      })
    );
  }
  const button = h("button", {
    type: "button",
    class: "btn",
    "aria-label": "More actions",
    onclick: (event) => {
      event.stopPropagation();
      document.querySelectorAll(".overflow-menu").forEach((m) => m !== menu && (m.hidden = true));
      menu.hidden = !menu.hidden;
      if (!menu.hidden) placeBelow(button, menu, false);
    },
  }, "⋯");
  wrapper.append(button, menu);
  return wrapper;
}

function choiceList(element, actionId, ctx, kept, dispatches, stateful, fire) {
  const radio = element.type === "radio_buttons";
  const name = `${actionId}-${Math.random().toString(36).slice(2)}`;
  const options = element.options || [];
  const initial = kept
    ? radio ? [kept.selected_option].filter(Boolean) : kept.selected_options || []
    : radio ? [element.initial_option].filter(Boolean) : element.initial_options || [];
  const list = h("div", { class: "choice-list", role: radio ? "radiogroup" : "group" });
  const boxes = options.map((option) => {
    const box = h("input", { type: radio ? "radio" : "checkbox", name, value: option.value });
    box.checked = initial.some((o) => sameOption(o, option));
    list.append(
      h(
        "label",
        {},
        box,
        h(
          "span",
          {},
          h("span", { html: textHtml(option.text) }),
          option.description ? h("span", { class: "desc", html: textHtml(option.description) }) : null
        )
      )
    );
    return box;
  });
  const read = () => {
    const picked = options.filter((_, i) => boxes[i].checked);
    return radio ? { selected_option: picked[0] || null } : { selected_options: picked };
  };
  stateful(list, read);
  if (dispatches) boxes.forEach((box) => box.addEventListener("change", () => fire(read(), list)));
  return list;
}

function collectState(root) {
  const values = {};
  if (!root) return values;
  for (const node of root.querySelectorAll("[data-stateful]")) {
    const block = node.dataset.stateBlock;
    values[block] = values[block] || {};
    values[block][node.dataset.actionId] = node._read();
  }
  return values;
}

// ------------------------------------------------------------------ confirm dialogs

function confirmDialog(confirm) {
  return new Promise((resolve) => {
    const layer = document.getElementById("dialog-layer");
    const done = (answer) => {
      layer.hidden = true;
      layer.replaceChildren();
      resolve(answer);
    };
    const style = confirm.style === "danger" ? "danger" : "primary";
    layer.replaceChildren(
      h(
        "div",
        { class: "dialog", role: "alertdialog", "aria-modal": "true" },
        h("h2", { html: textHtml(confirm.title || "Are you sure?") }),
        textNode("div", confirm.text || ""),
        h(
          "div",
          { class: "dialog-buttons" },
          h("button", { type: "button", class: "btn", onclick: () => done(false), html: textHtml(confirm.deny || "Cancel") }),
          h("button", { type: "button", class: `btn ${style}`, onclick: () => done(true), html: textHtml(confirm.confirm || "Yes") })
        )
      )
    );
    layer.hidden = false;
  });
}

// ------------------------------------------------------------------ actions

async function sendAction(ctx, element, action, node) {
  if (element.confirm && !(await confirmDialog(element.confirm))) return;
  const busy = node && node.tagName === "BUTTON";
  if (busy) node.disabled = true;
  try {
    const result = await post("/_playground/action", {
      user: S.user,
      channel: S.channel,
      view_id: ctx.viewId,
      message_ts: ctx.messageTs,
      ephemeral: ctx.ephemeral,
      action: { ...action, action_ts: String(Date.now() / 1000) },
      state: ctx.collect ? ctx.collect() : {},
    });
    if (!result.ok) {
      toast(result.status ? `vpsbot answered HTTP ${result.status}` : "vpsbot did not answer in 3 seconds");
    }
  } catch (error) {
    toast(error.message);
  } finally {
    if (busy) node.disabled = false;
  }
}

// ------------------------------------------------------------------ messages

function timeOf(ts) {
  if (!S.seenAt.has(ts)) S.seenAt.set(ts, new Date());
  return S.seenAt.get(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function author(message) {
  if (message.slackbot) return { name: "Slackbot", cls: "slackbot", app: false };
  if (message.bot_id) return { name: "vpsbot", cls: "bot", app: true };
  return { name: nameOf(message.user), cls: "", app: false };
}

function renderMessage(message, replies) {
  const who = author(message);
  const key = message.is_ephemeral ? `e${message.ts}` : message.ts;
  const body = h("div", { class: "msg-body" });
  const node = h(
    "div",
    {
      class: `message${message.is_ephemeral ? " ephemeral" : ""}`,
      dataset: { ts: message.ts, key },
    },
    h("div", { class: `avatar ${who.cls}`, "aria-hidden": "true" }, who.name.slice(0, 1)),
    body
  );
  body.append(
    h(
      "div",
      { class: "msg-head" },
      h("span", { class: "author" }, who.name),
      who.app ? h("span", { class: "app-badge" }, "APP") : null,
      h("span", { class: "time" }, timeOf(message.ts))
    )
  );
  const ctx = {
    messageTs: message.ts,
    ephemeral: Boolean(message.is_ephemeral),
    collect: () => collectState(body),
  };
  if (message.blocks && message.blocks.length) {
    body.append(renderBlocks(message.blocks, ctx));
  } else {
    body.append(h("div", { class: "text", html: mrkdwn(message.text) }));
  }
  for (const attachment of message.attachments || []) {
    const bar = h("div", {
      class: "attachment",
      style: `border-left: 4px solid ${attachment.color ? (attachment.color.startsWith("#") ? attachment.color : "#" + attachment.color) : "#ddd"}; padding-left: 8px; margin-top: 4px`,
    });
    if (attachment.blocks) bar.append(renderBlocks(attachment.blocks, ctx));
    else bar.append(h("div", { html: mrkdwn(attachment.text || attachment.fallback || "") }));
    body.append(bar);
  }
  if (message.is_ephemeral) {
    body.append(
      h(
        "div",
        { class: "ephemeral-note" },
        "👁 Only visible to you · ",
        h("button", {
          type: "button",
          onclick: () => post("/_playground/dismiss", { user: S.user, message_ts: message.ts }).catch(() => {}),
        }, "Dismiss")
      )
    );
  }
  if (replies && replies.length) {
    const open = S.openThreads.has(message.ts);
    body.append(
      h("button", {
        type: "button",
        class: "thread-toggle",
        onclick: () => {
          if (open) S.openThreads.delete(message.ts);
          else S.openThreads.add(message.ts);
          renderChannel(true);
        },
      }, `${replies.length} ${replies.length === 1 ? "reply" : "replies"}`)
    );
    if (open) {
      body.append(h("div", { class: "thread" }, replies.map((r) => renderMessage(r, null))));
    }
  }
  return node;
}

function renderChannel(force = false) {
  const state = S.state;
  const box = document.getElementById("messages");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const replies = new Map();
  const top = [];
  for (const message of state.messages) {
    if (message.thread_ts && message.thread_ts !== message.ts) {
      if (!replies.has(message.thread_ts)) replies.set(message.thread_ts, []);
      replies.get(message.thread_ts).push(message);
    } else {
      top.push(message);
    }
  }
  const all = [...top, ...state.ephemerals].sort((a, b) => parseFloat(a.ts) - parseFloat(b.ts));
  const seen = new Set();
  let previous = null;
  for (const message of all) {
    const key = message.is_ephemeral ? `e${message.ts}` : message.ts;
    seen.add(key);
    const own = replies.get(message.ts) || [];
    const sig = JSON.stringify([message, own, S.openThreads.has(message.ts)]);
    let entry = S.nodes.get(key);
    if (!entry || entry.sig !== sig || force) {
      const node = renderMessage(message, own);
      if (entry) entry.node.replaceWith(node);
      entry = { sig, node };
      S.nodes.set(key, entry);
    }
    const expected = previous ? previous.nextSibling : box.firstChild;
    if (expected !== entry.node) {
      if (previous) previous.after(entry.node);
      else box.prepend(entry.node);
    }
    previous = entry.node;
  }
  for (const [key, entry] of S.nodes) {
    if (!seen.has(key)) {
      entry.node.remove();
      S.nodes.delete(key);
    }
  }
  if (nearBottom) box.scrollTop = box.scrollHeight;
}

// ------------------------------------------------------------------ modals

function renderModal(modal) {
  const layer = document.getElementById("modal-layer");
  const current = layer.querySelector(".modal");
  if (current) S.viewState[current.dataset.viewId] = collectState(current.querySelector(".modal-body"));
  if (!modal) {
    S.modalKey = null;
    layer.hidden = true;
    layer.replaceChildren();
    return;
  }
  const view = modal.view;
  const key = JSON.stringify([view.id, view.hash, modal.errors, modal.notice, modal.can_go_back]);
  if (key === S.modalKey && current) return;
  S.modalKey = key;
  const bodyNode = h("div", { class: "modal-body" });
  const ctx = {
    viewId: view.id,
    errors: modal.errors || {},
    preserve: S.viewState[view.id] || null,
    stateValues: (view.state && view.state.values) || {},
    collect: () => collectState(bodyNode),
  };
  if (modal.notice) bodyNode.append(h("div", { class: "modal-notice", role: "alert" }, modal.notice));
  bodyNode.append(renderBlocks(view.blocks, ctx));
  const close = (back) =>
    post("/_playground/close", { user: S.user, channel: S.channel, view_id: view.id, back }).catch(
      (error) => toast(error.message)
    );
  const submit = view.submit
    ? h("button", {
        type: "button",
        class: "btn primary modal-submit",
        html: textHtml(view.submit),
        onclick: async (event) => {
          const button = event.currentTarget;
          button.disabled = true;
          try {
            const result = await post("/_playground/submit", {
              user: S.user,
              channel: S.channel,
              view_id: view.id,
              state: collectState(bodyNode),
            });
            if (!result.ok) toast("vpsbot did not take the submission");
          } catch (error) {
            toast(error.message);
          } finally {
            button.disabled = false;
          }
        },
      })
    : null;
  const node = h(
    "div",
    {
      class: "modal",
      role: "dialog",
      "aria-modal": "true",
      "aria-label": plainOf(view.title),
      dataset: { viewId: view.id, callbackId: view.callback_id || "" },
    },
    h(
      "div",
      { class: "modal-head" },
      modal.can_go_back
        ? h("button", { type: "button", class: "modal-back", "aria-label": "Back", onclick: () => close(true) }, "←")
        : null,
      h("div", { class: "modal-title", html: textHtml(view.title) }),
      h("span", { class: "modal-tag", title: "a local playground, not Slack" }, "playground"),
      h("button", { type: "button", class: "modal-x", "aria-label": "Close", onclick: () => close(false) }, "×")
    ),
    bodyNode,
    h(
      "div",
      { class: "modal-foot" },
      h("button", {
        type: "button",
        class: "btn modal-close",
        html: textHtml(view.close || (view.submit ? "Cancel" : "Close")),
        onclick: () => close(modal.can_go_back),
      }),
      submit
    )
  );
  layer.replaceChildren(node);
  layer.hidden = false;
}

// ------------------------------------------------------------------ state

function render() {
  const state = S.state;
  const list = document.getElementById("channel-list");
  const sidebar = JSON.stringify([state.channels, S.channel]);
  if (list.dataset.sig !== sidebar) {
    // only when it changed: redrawing the sidebar on every poll would flicker it
    list.dataset.sig = sidebar;
    list.replaceChildren(
      ...state.channels.map((c) =>
        h("li", {
          class: c.id === S.channel ? "active" : "",
          dataset: { channelId: c.id },
          onclick: () => switchTo(S.user, c.id),
        }, { im: `💬 ${c.name}`, home: `🏠 ${c.name} · Home` }[c.kind] || `# ${c.name}`)
      )
    );
  }
  renderMain(state);
}

function renderMain(state) {
  const channel = state.channels.find((c) => c.id === S.channel) || state.channels[0];
  const home = channel.kind === "home";
  const title = { im: channel.name, home: `${channel.name} · Home` }[channel.kind] || `# ${channel.name}`;
  document.getElementById("channel-title").textContent = title;
  document.getElementById("composer").hidden = home;
  document.getElementById("message-box").placeholder =
    `Message ${channel.kind === "im" ? channel.name : "#" + channel.name} — try /vps create web-1`;
  if (home) renderHome(state.home);
  else renderChannel();
  renderModal(state.modal);
}

// ------------------------------------------------------------------ the app's Home tab

function renderHome(view) {
  const box = document.getElementById("messages");
  const key = view ? JSON.stringify([view.id, view.hash]) : "none";
  if (box.dataset.home === key) return;
  box.dataset.home = key;
  const page = h("div", { class: "home-view", "aria-label": "vpsbot Home" });
  if (!view) {
    page.append(h("div", { class: "home-empty" }, "vpsbot has not published a Home view yet."));
  } else {
    const ctx = {
      viewId: view.id,
      errors: {},
      preserve: null,
      stateValues: (view.state && view.state.values) || {},
      collect: () => collectState(page),
    };
    page.append(renderBlocks(view.blocks, ctx));
  }
  box.replaceChildren(page);
}

async function poll(generation) {
  while (generation === S.generation) {
    let state;
    try {
      const url = `/_playground/state?user=${encodeURIComponent(S.user)}&channel=${encodeURIComponent(
        S.channel
      )}&after=${S.version}`;
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      state = await response.json();
    } catch (error) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    if (generation !== S.generation) return;
    S.version = state.version;
    S.state = state;
    render();
  }
}

function switchTo(user, channel) {
  if (user !== S.user) {
    S.viewState = {};
    S.modalKey = null;
    document.getElementById("modal-layer").replaceChildren();
  }
  S.user = user;
  S.channel = channel;
  S.version = -1;
  S.generation += 1;
  for (const entry of S.nodes.values()) entry.node.remove();
  S.nodes.clear();
  const box = document.getElementById("messages");
  if (box.dataset.home) {
    delete box.dataset.home;
    box.replaceChildren();
  }
  localStorage.setItem("vpsbot-playground-user", user);
  poll(S.generation);
  if (channel === "HOME") {
    // opening the tab is what makes Slack send app_home_opened, every time
    post("/_playground/home", { user, channel }).catch((error) => toast(error.message));
  }
}

async function send(event) {
  event.preventDefault();
  const box = document.getElementById("message-box");
  const text = box.value.trim();
  if (!text) return;
  box.value = "";
  try {
    const result = await post("/_playground/command", { user: S.user, channel: S.channel, text });
    if (!result.ok && result.error === "operation_timeout") toast("vpsbot did not answer in 3 seconds");
  } catch (error) {
    toast(error.message);
    box.value = text;
  }
}

document.addEventListener(
  "scroll",
  (event) => {
    if (event.target.closest && event.target.closest(".ext-options, .overflow-menu")) return;
    document.querySelectorAll(".overflow-menu, .ext-options").forEach((p) => (p.hidden = true));
  },
  true
);

document.addEventListener("click", (event) => {
  if (!event.target.closest(".overflow")) {
    document.querySelectorAll(".overflow-menu").forEach((menu) => (menu.hidden = true));
  }
});

async function main() {
  S.info = await (await fetch("/_playground/info")).json();
  const picker = document.getElementById("user-picker");
  for (const user of S.info.users) picker.append(h("option", { value: user.id }, user.label));
  const remembered = localStorage.getItem("vpsbot-playground-user");
  const first = S.info.users.find((u) => u.id === remembered) || S.info.users[0];
  picker.value = first.id;
  picker.addEventListener("change", () => switchTo(picker.value, S.channel));
  document.getElementById("composer").addEventListener("submit", send);
  switchTo(first.id, S.info.channel);
}

main();
