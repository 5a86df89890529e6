#include "worker/parse_queue.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "parser/cpu_budget.h"
#include "parser/html_document.h"
#include "worker/cpu_clock.h"

namespace forage::worker {
namespace {

// Every value of every field of the link rules' records: a list (`all`)
// gives its items, a plain value itself; missing values are skipped.
std::vector<std::string> LinksOf(const parser::ExtractResult& found, const parser::Rules& rules) {
  std::vector<std::string> links;
  for (const parser::Record& r : found.records) {
    for (size_t i = 0; i < r.values.size(); ++i) {
      if (!r.values[i]) continue;
      if (rules.formats()[i] == parser::ValueFormat::kList) {
        for (auto& item : parser::ListItems(*r.values[i])) {
          if (item) links.push_back(std::move(*item));
        }
      } else {
        links.push_back(*r.values[i]);
      }
    }
  }
  return links;
}

std::vector<std::string> ExtractLinks(const parser::HtmlDocument& doc, const parser::Rules& rules,
                                      const std::string& url) {
  return LinksOf(parser::Extract(doc, rules, url), rules);
}

}  // namespace

ParseQueue::ParseQueue(const parser::Rules* rules, double cpu_burn_s, double slice_s,
                       DoneFn on_done)
    : rules_(rules), cpu_burn_s_(cpu_burn_s), slice_s_(slice_s), on_done_(std::move(on_done)) {}

Result<std::unique_ptr<ParseQueue>> ParseQueue::Create(uv_loop_t* loop,
                                                       const parser::Rules* rules,
                                                       double cpu_burn_s, double slice_s,
                                                       DoneFn on_done) {
  std::unique_ptr<ParseQueue> q(new ParseQueue(rules, cpu_burn_s, slice_s, std::move(on_done)));
  auto idle = UvHandle<uv_idle_t>::Create([&](uv_idle_t* h) { return uv_idle_init(loop, h); });
  if (!idle) return idle.error();
  q->idle_ = std::move(*idle);
  q->idle_.get()->data = q.get();
  return q;
}

void ParseQueue::Push(uint64_t page_id, std::string body, std::string content_type,
                      std::string url, const parser::Rules* rules) {
  Job job;
  job.rules = rules != nullptr ? rules : rules_;
  job.page_id = page_id;
  job.body = std::move(body);
  job.content_type = std::move(content_type);
  job.url = std::move(url);
  job.burn_left_s = cpu_burn_s_;
  job.out.page_id = page_id;
  queue_.push_back(std::move(job));
  UpdateIdle();
}

void ParseQueue::Pause() {
  paused_ = true;
  UpdateIdle();
}

void ParseQueue::Resume() {
  paused_ = false;
  UpdateIdle();
}

// The idle handle runs only while there is work we may do: an idle handle
// that runs makes the loop poll with a zero timeout.
void ParseQueue::UpdateIdle() {
  bool want = !paused_ && !queue_.empty();
  if (want == idle_running_) return;
  if (want) {
    uv_idle_start(idle_.get(), OnUvIdle);
  } else {
    uv_idle_stop(idle_.get());
  }
  idle_running_ = want;
}

bool ParseQueue::Advance(Job& job, double slice_end_s) {
  double start = ThreadCpuSeconds();
  if (!job.parsed) {
    if (before_parse_) before_parse_(job.url);
    // JSON rules read the page as JSON; a JSON response never goes to Gumbo.
    if (job.rules->json_items() || parser::IsJsonContentType(job.content_type)) {
      auto extracted = parser::ExtractJson(job.body, *job.rules, job.url);
      if (extracted) {
        job.out.records = std::move(extracted->records);
        job.out.dropped = extracted->dropped;
        // JSON link rules (`--next 'json:$.next'`) read the same document.
        if (link_rules_ != nullptr && link_rules_->json_items()) {
          auto found = parser::ExtractJson(job.body, *link_rules_, job.url);
          if (found) job.out.links = LinksOf(*found, *link_rules_);
        }
      } else {
        job.out.failure = extracted.error().message;
        job.burn_left_s = 0;
      }
      job.out.encoding = "utf-8";
      job.body = std::string();
      job.parsed = true;
    }
  }
  if (!job.parsed) {
    // Parse, extraction and link finding all count against --page-cpu-limit:
    // Gumbo's parse is abandoned from its allocator once the budget is spent
    // (it is quadratic in some nestings), selector matching stops at its
    // next check, and what a cut-short pass found is dropped.
    std::optional<parser::ScopedCpuBudget> budget;
    if (page_cpu_limit_s_ > 0) {
      const double deadline = start + page_cpu_limit_s_;
      budget.emplace([deadline] { return ThreadCpuSeconds() > deadline; });
    }
    auto spent = [&budget] { return budget.has_value() && budget->spent(); };
    auto doc = parser::HtmlDocument::Parse(std::move(job.body), job.content_type, &arena_);
    if (!doc.abandoned() && !spent()) {
      parser::ExtractResult extracted = parser::Extract(doc, *job.rules, job.url);
      job.out.records = std::move(extracted.records);
      job.out.dropped = extracted.dropped;
      if (link_rules_ != nullptr && job.out.failure.empty() && !spent()) {
        job.out.links = ExtractLinks(doc, *link_rules_, job.url);
      }
    }
    if (doc.abandoned() || spent()) {
      job.out.records.clear();
      job.out.dropped = 0;
      job.out.links.clear();
      job.out.failure = "too slow";
      job.burn_left_s = 0;
    }
    job.out.encoding = std::string(doc.encoding());
    job.body = std::string();
    job.parsed = true;
  }
  if (job.burn_left_s > 0) {
    double now = ThreadCpuSeconds();
    double slice = std::min(job.burn_left_s, std::max(0.0, slice_end_s - now));
    if (slice > 0) job.burn_left_s -= BurnCpu(slice);
  }
  job.out.cpu_s += ThreadCpuSeconds() - start;
  return job.burn_left_s <= 0;
}

void ParseQueue::HandleIdle() {
  const double slice_end = ThreadCpuSeconds() + slice_s_;
  while (!queue_.empty() && !paused_) {
    Job& job = queue_.front();
    bool done = Advance(job, slice_end);
    if (!done) break;
    ParsedPage out = std::move(job.out);
    queue_.pop_front();
    busy_s_ += out.cpu_s;
    on_done_(std::move(out));
    if (ThreadCpuSeconds() >= slice_end) break;
  }
  UpdateIdle();
}

// --- C entry points

void ParseQueue::OnUvIdle(uv_idle_t* h) noexcept {
  if (h->data == nullptr) return;
  static_cast<ParseQueue*>(h->data)->HandleIdle();
}

}  // namespace forage::worker
