#include "cmd/bench_chart.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace forage::cmd {
namespace {

// The plot's edges, the width of a setting's group and of a bar; the first
// group leaves room for its "recommended" label.
constexpr double kLeft = 80, kTop = 60, kBottom = 290, kGroup = 84, kBar = 26, kFirst = 34;
constexpr const char* kWallColour = "#3b6fb6";
constexpr const char* kCpuColour = "#e08a2c";
constexpr const char* kMarkColour = "#1a7f37";

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Keeps the start and the end of a long text (URLs differ at both ends).
std::string Shorten(const std::string& s, size_t max) {
  if (s.size() <= max || max < 8) return s;
  size_t head = (max - 3) * 2 / 3, tail = max - 3 - head;
  return s.substr(0, head) + "..." + s.substr(s.size() - tail);
}

// A round axis maximum at or above v (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 or 10
// times a power of ten), so the tallest whisker fills most of the plot.
double AxisMax(double v) {
  v = std::max(v, 0.001);
  double step = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0}) {
    if (m * step >= v * 0.9999) return m * step;
  }
  return 10 * step;
}

std::string ModeLabel(const BenchRow& r) {
  return r.mode.empty() ? (r.workers == 1 ? "async" : "hybrid") : r.mode;
}

}  // namespace

int ChartWidth(size_t rows) {
  return static_cast<int>(std::max(680.0, kLeft + kFirst + 16 + kGroup * static_cast<double>(rows)));
}

std::string BenchSvg(const std::vector<BenchRow>& rows, const ChartContext& c) {
  const double width = ChartWidth(rows.size());
  const double height = kChartHeight;
  double max_v = 0;
  for (const auto& r : rows) max_v = std::max({max_v, r.wall_max_s, r.wall_s, r.user_s + r.sys_s});
  const double axis = AxisMax(max_v);
  auto y = [&](double v) { return kBottom - (kBottom - kTop) * v / axis; };
  int runs = 0;
  for (const auto& r : rows) runs = std::max(runs, r.runs);

  std::string s = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{0:.0f}\" "
      "height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n"
      "<title>{2}: wall and CPU time per setting</title>\n"
      "<rect x=\"0\" y=\"0\" width=\"{0:.0f}\" height=\"{1:.0f}\" fill=\"white\"/>\n"
      "<text x=\"{3:.0f}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{2}: wall and CPU "
      "time per setting</text>\n"
      "<text x=\"{3:.0f}\" y=\"42\" fill=\"#444\">bars: median of {4} run{5}; whiskers: min-max "
      "wall time; shorter is better</text>\n",
      width, height, XmlEscape(c.title), kLeft, runs, runs == 1 ? "" : "s");

  // The value axis: seconds, gridlines at fifths.
  s += "<g id=\"value-axis\">\n";
  for (int i = 0; i <= 5; ++i) {
    double v = axis * i / 5, yy = y(v);
    s += fmt::format(
        "<line x1=\"{:.0f}\" y1=\"{:.1f}\" x2=\"{:.0f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{:.0f}\" y=\"{:.1f}\" text-anchor=\"end\">{:g}</text>\n",
        kLeft, yy, width - 20, yy, kLeft - 6, yy + 4, v);
  }
  double mid = (kTop + kBottom) / 2;
  s += fmt::format(
      "<text x=\"22\" y=\"{0:.0f}\" text-anchor=\"middle\" transform=\"rotate(-90 22 {0:.0f})\">"
      "time (seconds)</text>\n"
      "<line x1=\"{1:.0f}\" y1=\"{2:.0f}\" x2=\"{1:.0f}\" y2=\"{3:.0f}\" stroke=\"black\"/>\n"
      "</g>\n",
      mid, kLeft, kTop, kBottom);

  // One group per setting: wall bar + whisker, CPU bar, labels.
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const bool mark = c.recommended == static_cast<int>(i);
    const double x = kLeft + kFirst + kGroup * static_cast<double>(i);
    const double cpu = r.user_s + r.sys_s;
    const double pages_per_s = r.wall_s > 0 ? static_cast<double>(r.pages) / r.wall_s : 0;
    const double wx = x + kBar / 2;  // the whisker's x
    s += fmt::format("<g class=\"setting{}\">\n", mark ? " recommended" : "");
    s += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.0f}\" height=\"{:.1f}\" fill=\"{}\"{}>"
        "<title>{} workers, concurrency {}: wall {:.3f} s median, {:.3f}-{:.3f} s over {} runs, "
        "{:.1f} pages/s</title></rect>\n",
        x, y(r.wall_s), kBar, kBottom - y(r.wall_s), kWallColour,
        mark ? fmt::format(" stroke=\"{}\" stroke-width=\"3\"", kMarkColour) : "", r.workers,
        r.concurrency, r.wall_s, r.wall_min_s, r.wall_max_s, r.runs, pages_per_s);
    s += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.0f}\" height=\"{:.1f}\" fill=\"{}\">"
        "<title>user+sys {:.3f} s</title></rect>\n",
        x + kBar + 2, y(cpu), kBar, kBottom - y(cpu), kCpuColour, cpu);
    s += fmt::format(
        "<path class=\"whisker\" d=\"M{0:.1f} {1:.1f} V{2:.1f} M{3:.1f} {1:.1f} H{4:.1f} "
        "M{3:.1f} {2:.1f} H{4:.1f}\" stroke=\"black\" stroke-width=\"1.5\" fill=\"none\"/>\n",
        wx, y(r.wall_max_s), y(r.wall_min_s), wx - 5, wx + 5);
    s += fmt::format(
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"10\">{:.2f}</text>\n",
        wx, y(r.wall_max_s) - 4, r.wall_s);
    if (mark) {
      s += fmt::format(
          "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-weight=\"bold\" "
          "fill=\"{}\">recommended</text>\n",
          x + kBar, y(r.wall_max_s) - 18, kMarkColour);
    }
    s += fmt::format(
        "<text x=\"{0:.1f}\" y=\"{1:.0f}\" text-anchor=\"middle\">{2}</text>"
        "<text x=\"{0:.1f}\" y=\"{3:.0f}\" text-anchor=\"middle\">{4} worker{5}</text>"
        "<text x=\"{0:.1f}\" y=\"{6:.0f}\" text-anchor=\"middle\">conc. {7}</text>\n</g>\n",
        x + kBar + 1, kBottom + 16, XmlEscape(ModeLabel(r)), kBottom + 30, r.workers,
        r.workers == 1 ? "" : "s", kBottom + 44, r.concurrency);
  }
  s += fmt::format(
      "<line x1=\"{0:.0f}\" y1=\"{1:.0f}\" x2=\"{2:.0f}\" y2=\"{1:.0f}\" stroke=\"black\"/>\n"
      "<text x=\"{3:.0f}\" y=\"{4:.0f}\" text-anchor=\"middle\" fill=\"#444\">setting (mode, "
      "workers, concurrency)</text>\n",
      kLeft, kBottom, width - 20, (kLeft + width - 20) / 2, kBottom + 64);

  // Legend, then the caption: what was measured, where and when.
  const double ly = kBottom + 82;
  s += fmt::format(
      "<g id=\"legend\">\n"
      "<rect x=\"{0:.0f}\" y=\"{1:.0f}\" width=\"12\" height=\"12\" fill=\"{2}\"/>"
      "<text x=\"{3:.0f}\" y=\"{4:.0f}\">wall time (s)</text>\n"
      "<rect x=\"{5:.0f}\" y=\"{1:.0f}\" width=\"12\" height=\"12\" fill=\"{6}\"/>"
      "<text x=\"{7:.0f}\" y=\"{4:.0f}\">CPU time, user + sys (s)</text>\n",
      kLeft, ly, kWallColour, kLeft + 16, ly + 10, kLeft + 120, kCpuColour, kLeft + 136);
  if (c.recommended >= 0) {
    s += fmt::format(
        "<rect x=\"{0:.0f}\" y=\"{1:.0f}\" width=\"12\" height=\"12\" fill=\"{2}\" stroke=\"{3}\" "
        "stroke-width=\"3\"/><text x=\"{4:.0f}\" y=\"{5:.0f}\">recommended setting</text>\n",
        kLeft + 318, ly, kWallColour, kMarkColour, kLeft + 336, ly + 10);
  }
  s += "</g>\n";
  // About 6.5 px a character at 12 px sans-serif.
  const std::string job = Shorten(c.job, static_cast<size_t>((width - kLeft - 20) / 6.5) - 5);
  s += fmt::format(
      "<text id=\"caption\" x=\"{0:.0f}\" y=\"{1:.0f}\" fill=\"#444\">job: {2}</text>\n"
      "<text id=\"caption-machine\" x=\"{0:.0f}\" y=\"{3:.0f}\" fill=\"#444\">{4} usable "
      "core{5}   |   measured {6}</text>\n</svg>\n",
      kLeft, ly + 34, XmlEscape(job), ly + 52, c.cores, c.cores == 1 ? "" : "s",
      XmlEscape(c.date));
  return s;
}

}  // namespace forage::cmd
