"""What runs inside each page the browser shows, before its own scripts or to read it back."""

from __future__ import annotations

#: Run in every frame before its scripts: no WebRTC interface is left to call.
NO_WEBRTC_SCRIPT = """(() => {
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    if (/^(webkit)?RTC/.test(name)) delete globalThis[name];
  }
})();"""
#: The page's HTML, as `page.content()` makes it, unless it is longer than `cap` bytes in
#: UTF-8: then null. The document is measured first, node by node, stopping as soon as the
#: count passes the cap, so that a huge page is refused without being serialised. The count
#: leaves out markup escapes and template contents, hence the check of the HTML itself.
HTML_WITHIN_CAP_SCRIPT = """(cap) => {
  let size = 0;
  const walker = document.createTreeWalker(document);
  for (let node = walker.currentNode; node !== null && size <= cap; node = walker.nextNode()) {
    if (node.nodeType === Node.ELEMENT_NODE) {
      size += 2 * node.localName.length + 5;
      for (const { name, value } of node.attributes) size += name.length + value.length + 4;
    } else if (node.nodeValue !== null) {
      size += node.nodeValue.length;
    }
  }
  if (size > cap) return null;
  const doctype = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : "";
  const html = doctype + (document.documentElement ? document.documentElement.outerHTML : "");
  return new TextEncoder().encode(html).length > cap ? null : html;
}"""
#: Sets `navigator.languages` and `navigator.language` to the link's language.
LANGUAGES_SCRIPT = """(() => {{
  const languages = Object.freeze({languages});
  for (const [name, value] of [["languages", languages], ["language", languages[0]]]) {{
    Object.defineProperty(Navigator.prototype, name, {{ get: () => value, configurable: true }});
  }}
}})();"""
