#pragma once
// CSS selectors over Gumbo trees: compiled once, matched many times.
//
// Supported (docs/selectors.md has the full list, with examples): Selectors
// Level 3 and the common Level 4: type selectors and `*` (also `*|a`, `|a`),
// `.class`, `#id`, attributes `[a] [a=v] [a~=v] [a|=v] [a^=v] [a$=v] [a*=v]`
// with the `i` and `s` flags, the combinators ` `, `>`, `+`, `~`, selector
// lists, and the pseudo-classes :first-child :last-child :only-child
// :nth-child(An+B [of S]) :nth-last-child() :nth-of-type() :nth-last-of-type()
// :first-of-type :last-of-type :only-of-type :empty :root :scope :not() :is()
// :where() :has() (relative: `:has(> a)`, `:has(+ b)`, `:has(~ c)`), soupsieve's
// :-soup-contains() (alias :contains()) and :-soup-contains-own(), :lang(),
// :any-link :link :checked :disabled :enabled :required :optional :read-only
// :read-write :defined, and user-action states (:hover, :visited ...), which
// never match a static document. Comments and CSS escapes are allowed
// anywhere CSS allows them. Namespace prefixes other than `*|` and `|` are
// rejected, as browsers reject them without @namespace.
//
// Case rules are HTML's, as in browsers: tag and attribute names match ASCII
// case-insensitively; classes and ids case-sensitively, except in quirks-mode
// documents, where they fold ASCII case; attribute values case-sensitively,
// except with the `i` flag and for the attributes that HTML lists as having
// case-insensitive values (`type`, `lang`, `rel`, ...), unless the `s` flag
// is given.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "parser/gumbo_fwd.h"

namespace forage::parser {

struct ComplexSelector;  // selector_ast.h
struct FieldSelector;
class SiblingPositions;  // selector_match.h

// A compiled selector list. Immutable after Compile, so one Selector may be
// matched from several threads. Matching never allocates except to grow the
// caller's output vector, and for :nth-child() and its kin, to count the
// children of a parent with many (SiblingPositions), once per query.
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
  //
  // `positions`, when given, keeps sibling counts across the queries of one
  // pass over one document (Extract's), so that a field's :nth-child() does
  // not count a long list again for each item; without, each query counts
  // afresh. Never share one between documents.
  void SelectAll(const GumboNode* scope, std::vector<const GumboNode*>* out,
                 SiblingPositions* positions = nullptr) const;

  // The first match below `scope` in document order, or null:
  // scope.querySelector(). Stops at the first match.
  const GumboNode* SelectFirst(const GumboNode* scope, SiblingPositions* positions = nullptr) const;

  // Whether `node` itself matches (false for non-elements). With `scope`,
  // :scope is that element (else the node itself).
  bool Matches(const GumboNode* node) const;
  bool Matches(const GumboNode* node, const GumboNode* scope) const;

  // The source text, as given to Compile.
  const std::string& text() const { return text_; }

 private:
  friend Result<FieldSelector> CompileFieldSelector(std::string_view text);
  Selector(std::string text, std::vector<ComplexSelector> list);

  // Whether the candidates go on past the scope's subtree into the subtrees
  // of its following siblings: some alternative starts with `:scope` and a
  // sibling combinator (`:scope + tr .score`, `:scope ~ p`).
  void FindSiblingReach();
  template <typename Visit>
  void Walk(const GumboNode* scope, Visit visit) const;

  std::string text_;
  std::vector<ComplexSelector> list_;  // never empty
  bool reaches_siblings_ = false;
  // How many following element siblings can hold a match: the number of `+`
  // in the alternatives that reach siblings; -1 (all of them) with a `~`.
  int sibling_window_ = 0;
};

// What a field selector ends in (Scrapy/parsel pseudo-elements).
enum class PseudoElement {
  kNone,  // the match's text content
  kText,  // `::text`: the match's own text (OwnText)
  kAttr,  // `::attr(NAME)`: the value of attribute NAME
  kHtml,  // `::html`: the match's outer HTML, serialised from the tree (Serialize)
};

// One alternative of a field selector list whose alternatives end in
// different pseudo-elements.
struct FieldAlternative {
  Selector selector;  // the alternative alone
  PseudoElement pseudo = PseudoElement::kNone;
  std::string attr_name;
};

// A field selector: a selector list optionally followed by one pseudo-element,
// or a list whose alternatives each end in their own
// (`a::attr(href), img::attr(src)`).
struct FieldSelector {
  // Null when the text is only a pseudo-element (`::attr(href)`): it then
  // applies to the scope element itself, as in parsel. Otherwise the whole
  // list: its matches, in document order, are the field's matches.
  std::optional<Selector> selector;
  // When every alternative ends in the same pseudo-element (or none): that one.
  PseudoElement pseudo = PseudoElement::kNone;
  std::string attr_name;  // for kAttr, ASCII-lowercased
  // Otherwise one per alternative, in list order: a match's value is what the
  // first alternative that matches it selects. Empty in the uniform case.
  std::vector<FieldAlternative> alternatives;
};

// Compiles a selector that may end in `::text`, `::html` or `::attr(NAME)`;
// in a list, each alternative may end in one (`a::attr(x), b::attr(x)`).
// Errors as in Selector::Compile; positions count from the start of `text`,
// pseudo-elements included.
Result<FieldSelector> CompileFieldSelector(std::string_view text);

}  // namespace forage::parser
