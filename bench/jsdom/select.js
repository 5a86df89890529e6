// jsdom's side of bench/selector_agreement.py: the browser-grade reference.
//
//   node bench/jsdom/select.js PAGE SELECTORS [ENCODING]
//
// Parses PAGE with jsdom's HTML parser (parse5, the WHATWG algorithm), with
// ENCODING as the transport-layer charset when given (else jsdom sniffs as a
// browser does), numbers every element in document order as
// bench/selector_agreement.cc does (0 = <html>; the content of a <template>
// is numbered where the template stands, though the DOM keeps it in a
// separate fragment), and prints the same lines as that tool:
//   tags NAME NAME ...     the elements' tag names (lowercased) in that order
//   ok N N ...             per selector line: document.querySelectorAll's
//                          matches (nwsapi), in document order
//   error MESSAGE          querySelectorAll threw (an invalid selector for it)
"use strict";

const fs = require("fs");
const { JSDOM } = require("jsdom");

function main() {
  const [page, selectorsPath, encoding] = process.argv.slice(2);
  if (!page || !selectorsPath) {
    process.stderr.write("usage: node select.js PAGE SELECTORS [ENCODING]\n");
    process.exit(2);
  }
  const bytes = fs.readFileSync(page);
  const contentType = encoding ? `text/html; charset=${encoding}` : "text/html";
  const dom = new JSDOM(bytes, { contentType });
  const document = dom.window.document;

  const index = new Map();
  const tags = [];
  const number = (parent) => {
    for (let c = parent.firstElementChild; c !== null; c = c.nextElementSibling) {
      index.set(c, index.size);
      tags.push(c.localName.toLowerCase());
      number(c.localName === "template" && c.content ? c.content : c);
    }
  };
  number(document);

  const out = ["tags " + tags.join(" ")];
  const selectors = fs.readFileSync(selectorsPath, "utf8").split("\n");
  if (selectors.length && selectors[selectors.length - 1] === "") selectors.pop();
  for (const sel of selectors) {
    let matches;
    try {
      matches = document.querySelectorAll(sel);
    } catch (e) {
      out.push("error " + String(e && e.message || e).replace(/[\r\n]+/g, " "));
      continue;
    }
    const numbers = [];
    for (const m of matches) numbers.push(index.get(m));
    out.push(["ok", ...numbers].join(" "));
  }
  process.stdout.write(out.join("\n") + "\n");
  dom.window.close();
}

main();
