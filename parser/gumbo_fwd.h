#pragma once
// Forward declarations of the Gumbo types that parser/'s public headers
// mention, so that code outside parser/ can use those headers without
// <gumbo.h> (the house rule: only parser/ includes it). The aliases repeat
// Gumbo 0.10's own typedefs; C++ allows a typedef to be redeclared to the same
// type, so including <gumbo.h> afterwards is fine.

struct GumboInternalNode;
struct GumboInternalOutput;
using GumboNode = GumboInternalNode;
using GumboOutput = GumboInternalOutput;
