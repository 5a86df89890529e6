// Fuzz target: the selector compiler (parser/selector.h), arbitrary bytes as
// a selector. What compiles is matched against two small fixed documents (one
// in standards mode, one in quirks mode), so the matcher runs on whatever the
// compiler accepts.
//
// Properties beyond "no memory error, no hang":
// - Compile and CompileFieldSelector never throw; an error is kInvalidArgument
//   and names a position inside the text ("at position N", N <= size).
// - SelectAll returns elements in document order, each once, and SelectFirst
//   is its first element.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "parser/extract.h"
#include "parser/html_document.h"
#include "parser/selector.h"
#include "tests/fuzz/fuzz_check.h"

namespace forage::parser {
namespace {

constexpr std::string_view kStandardsPage = R"HTML(<!DOCTYPE html>
<html lang="en"><head><title>T</title><base href="/b/"></head>
<body class="Main x" id="top">
<div id="d1" class="item a" data-n="1"><p>one <b>1</b></p>
<a href="/a?x=1" rel="NoFollow">A</a></div>
<div id="d2" class="item b" lang="fr-CA"><p></p><img src="i.png" alt=""><span>2.50 €</span></div>
<ul><li>a</li><li class="odd">b</li><li>c</li><li hidden>d</li><!-- c --><li>e</li></ul>
<table><tr><td>1</td><td>2</td></tr><tr><th scope="row">h</th></tr></table>
<form><input type="CHECKBOX" checked disabled><input required>
<select><option selected>o</option></select>
<textarea readonly>t</textarea><button disabled>b</button></form>
<svg><circle r="1"/></svg><my-widget>w</my-widget><template><p>t</p></template>
</body></html>)HTML";

constexpr std::string_view kQuirksPage =
    "<html><body><P CLASS=Foo ID=Bar>x</P><div class=foo><p id=bar>y</p><p>z</p></div>";

struct Documents {
  HtmlDocument standards = HtmlDocument::Parse(std::string(kStandardsPage));
  HtmlDocument quirks = HtmlDocument::Parse(std::string(kQuirksPage));
};

const Documents& Docs() {
  static const Documents* docs = new Documents();  // never destroyed: no order-of-exit issues
  return *docs;
}

// The position an error message names, or -1 when it names none. The
// parser writes it last ("... at position N"), so only the message's tail
// is read: the echoed selector and the reason may both hold text the fuzzer
// chose, " at position 99999" included (found: '/*99 at position 99999)' in
// the echo, ':foo\ at\ position\ 99999' in the reason's pseudo-class name).
long long ErrorPosition(const std::string& message) {
  size_t digits = message.size();
  while (digits > 0 && message[digits - 1] >= '0' && message[digits - 1] <= '9') --digits;
  constexpr std::string_view kAt = " at position ";
  if (digits == message.size() || digits < kAt.size() ||
      message.compare(digits - kAt.size(), kAt.size(), kAt) != 0) {
    return -1;
  }
  long long n = 0;
  for (size_t i = digits; i < message.size(); ++i) {
    n = n * 10 + (message[i] - '0');
    if (n > (1LL << 40)) break;
  }
  return n;
}

void CheckError(const Error& error, std::string_view text) {
  FUZZ_CHECK(error.code == ErrorCode::kInvalidArgument, error.message);
  FUZZ_CHECK(error.message.rfind("selector '", 0) == 0, error.message);
  long long pos = ErrorPosition(error.message);
  long long last = static_cast<long long>(text.size());
  FUZZ_CHECK(pos <= last, error.message);
}

void MatchEverywhere(const Selector& selector, const HtmlDocument& doc) {
  static const Selector* star = new Selector(*Selector::Compile("*"));
  std::vector<const GumboNode*> all;
  star->SelectAll(doc.document(), &all);
  std::unordered_map<const GumboNode*, size_t> order;
  for (size_t i = 0; i < all.size(); ++i) order[all[i]] = i;

  std::vector<const GumboNode*> matches;
  selector.SelectAll(doc.document(), &matches);
  for (size_t i = 0; i < matches.size(); ++i) {
    auto it = order.find(matches[i]);
    FUZZ_CHECK(it != order.end(), "SelectAll returned a node that is not an element");
    if (i > 0) {
      FUZZ_CHECK(order[matches[i - 1]] < it->second,
                 "SelectAll: not in document order, or a node twice: " + selector.text());
    }
  }
  const GumboNode* first = selector.SelectFirst(doc.document());
  FUZZ_CHECK(first == (matches.empty() ? nullptr : matches.front()),
             "SelectFirst is not SelectAll's first: " + selector.text());
  // Each element as a scope too (:scope, relative :has), and Matches on each.
  size_t scopes = 0;
  for (const GumboNode* node : all) {
    (void)selector.Matches(node);
    if (scopes++ < 8) {
      std::vector<const GumboNode*> below;
      selector.SelectAll(node, &below);
    }
  }
}

}  // namespace
}  // namespace forage::parser

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace forage::parser;
  std::string_view text = forage::fuzz::AsText(data, size);
  const auto& docs = Docs();

  auto selector = Selector::Compile(text);
  if (selector) {
    FUZZ_CHECK(selector->text() == text, "text() is not the source");
    MatchEverywhere(*selector, docs.standards);
    MatchEverywhere(*selector, docs.quirks);
  } else {
    CheckError(selector.error(), text);
  }

  auto field = CompileFieldSelector(text);
  if (field) {
    (void)SelectValues(docs.standards, *field);
    (void)SelectValues(docs.quirks, *field);
  } else {
    CheckError(field.error(), text);
  }
  return 0;
}
