#pragma once
// CSS selectors over Gumbo trees: compiled once, matched many times.
//
// Supported: type selectors and `*`, `.class`, `#id`, `[attr]`,
// `[attr=value]` (value an identifier or a '...'/"..." string), compound
// selectors (`li.product.first`), the descendant (whitespace) and child (`>`)
// combinators, and selector lists (`a, b`). Identifiers may use CSS escapes
// (`\:`, `\31 23`) and strings too. Not supported yet, each rejected with an
// error at its position: the `+` and `~` combinators, attribute operators
// other than `=` (`~= |= ^= $= *=`), the `i`/`s` flags, pseudo-classes
// (`:nth-child()`, `:not()` ...), namespaces (`ns|a`), comments, and a
// backslash at the very end.
//
// Case rules are HTML's: tag and attribute names match ASCII
// case-insensitively, class, id and attribute values case-sensitively (also
// in quirks-mode documents, where browsers fold class and id case; we don't).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "parser/gumbo_fwd.h"

namespace forage::parser {

struct ComplexSelector;  // selector_ast.h
struct FieldSelector;

// A compiled selector list. Immutable after Compile, so one Selector may be
// matched from several threads. Matching never allocates except to grow the
// caller's output vector.
class Selector {
 public:
  // Errors are kInvalidArgument, naming the selector and the 0-based byte
  // position of the problem: "selector 'li..x': expected a class name at
  // position 3". Pseudo-elements are rejected (see CompileFieldSelector).
  static Result<Selector> Compile(std::string_view text);

  Selector(const Selector&);
  Selector(Selector&&) noexcept;
  Selector& operator=(const Selector&);
  Selector& operator=(Selector&&) noexcept;
  ~Selector();

  // Appends to `out` every element below `scope` (a document or element node)
  // that matches, in document order, each once: scope.querySelectorAll().
  // The scope itself is never a candidate, but its ancestors may satisfy the
  // left side of a combinator, as in the DOM.
  void SelectAll(const GumboNode* scope, std::vector<const GumboNode*>* out) const;

  // The first match below `scope` in document order, or null:
  // scope.querySelector(). Stops at the first match.
  const GumboNode* SelectFirst(const GumboNode* scope) const;

  // Whether `node` itself matches (false for non-elements).
  bool Matches(const GumboNode* node) const;

  // The source text, as given to Compile.
  const std::string& text() const { return text_; }

 private:
  friend Result<FieldSelector> CompileFieldSelector(std::string_view text);
  Selector(std::string text, std::vector<ComplexSelector> list);

  std::string text_;
  std::vector<ComplexSelector> list_;  // never empty
};

// What a field selector ends in (Scrapy/parsel pseudo-elements).
enum class PseudoElement {
  kNone,  // the match's text content
  kText,  // `::text`: the match's own text (OwnText)
  kAttr,  // `::attr(NAME)`: the value of attribute NAME
};

// A field selector: a selector list optionally followed by one pseudo-element.
struct FieldSelector {
  // Null when the text is only a pseudo-element (`::attr(href)`): it then
  // applies to the scope element itself, as in parsel.
  std::optional<Selector> selector;
  PseudoElement pseudo = PseudoElement::kNone;
  std::string attr_name;  // for kAttr, ASCII-lowercased
};

// Compiles a selector that may end in `::text` or `::attr(NAME)`. The
// pseudo-element must come last and may not follow a selector list
// (`a, b::text` is an error). Errors as in Selector::Compile; positions count
// from the start of `text`, pseudo-element included.
Result<FieldSelector> CompileFieldSelector(std::string_view text);

}  // namespace forage::parser
