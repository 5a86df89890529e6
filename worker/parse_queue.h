#pragma once
// ParseQueue: fetched bodies waiting for the CPU stage (parse, extract,
// --cpu-burn), drained from the loop in time slices.
//
// Loop-bound and single-threaded. A uv_idle handle runs only while the queue
// holds work; each turn stops after `slice_s` of CPU time, so sockets keep
// being serviced while pages are processed (the loop polls I/O between
// turns). A page's parse and extraction run in one piece; its CPU burn is cut
// into slices. Pages finish in FIFO order; `on_done` fires once per page and
// may call Pause() (backpressure) or push more work.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "parser/arena.h"
#include "parser/extract.h"
#include "worker/uv_handle.h"

namespace forage::worker {

struct ParsedPage {
  uint64_t page_id = 0;
  std::vector<parser::Record> records;
  uint64_t dropped = 0;  // items without a `required` field
  std::string encoding;  // how the body was decoded ("UTF-8", "GBK", ...)
  double cpu_s = 0;  // CPU time spent on this page (parse, extract, burn)
  std::string failure;  // non-empty: the page failed ("too slow"); no records
  std::vector<std::string> links;  // --next / --crawl: what the link rules found
};

class ParseQueue {
 public:
  using DoneFn = std::function<void(ParsedPage&&)>;
  // Runs just before a page is parsed, with its URL (the worker's test-only
  // fault hook).
  using BeforeParseFn = std::function<void(std::string_view url)>;

  // `rules` must outlive the queue.
  static Result<std::unique_ptr<ParseQueue>> Create(uv_loop_t* loop, const parser::Rules* rules,
                                                    double cpu_burn_s, double slice_s,
                                                    DoneFn on_done);
  ~ParseQueue() = default;

  // `content_type` (the response header) decides the decoding with the
  // body's BOM and <meta>; `url` (after redirects) resolves `url` fields.
  // `rules` (must outlive the queue) extract it; null: the queue's own.
  void Push(uint64_t page_id, std::string body, std::string content_type, std::string url,
            const parser::Rules* rules = nullptr);
  void SetBeforeParse(BeforeParseFn fn) { before_parse_ = std::move(fn); }
  // CPU time a page's parse and extraction may take (--page-cpu-limit; 0 =
  // none). Extraction checks it as it goes (parser/cpu_budget.h); a page over
  // it fails with "too slow". Gumbo's parse is one call: it is measured, not
  // cut short. --cpu-burn is not counted.
  void SetPageCpuLimit(double seconds) { page_cpu_limit_s_ = seconds; }
  // --next / --crawl: rules (must outlive the queue) whose values, on every
  // page the job's rules extract, are the page's links (ParsedPage::links).
  void SetLinkRules(const parser::Rules* rules) { link_rules_ = rules; }
  // While paused no page is processed; queued pages wait.
  void Pause();
  void Resume();

  size_t size() const { return queue_.size(); }
  bool empty() const { return queue_.empty(); }
  double busy_s() const { return busy_s_; }

 private:
  struct Job {
    uint64_t page_id = 0;
    std::string body;
    std::string content_type;
    std::string url;
    const parser::Rules* rules = nullptr;
    bool parsed = false;
    double burn_left_s = 0;
    ParsedPage out;
  };

  ParseQueue(const parser::Rules* rules, double cpu_burn_s, double slice_s, DoneFn on_done);
  static void OnUvIdle(uv_idle_t* h) noexcept;
  void HandleIdle();
  void UpdateIdle();
  // Works on the head job until it is done or the slice ends; true when done.
  bool Advance(Job& job, double slice_end_s);

  const parser::Rules* rules_;
  double cpu_burn_s_;
  double slice_s_;
  double page_cpu_limit_s_ = 0;
  const parser::Rules* link_rules_ = nullptr;
  DoneFn on_done_;
  BeforeParseFn before_parse_;
  UvHandle<uv_idle_t> idle_;
  std::deque<Job> queue_;
  bool paused_ = false;
  bool idle_running_ = false;
  double busy_s_ = 0;
  parser::Arena arena_;  // each page's tree; reused, reset when the page is done
};

}  // namespace forage::worker
