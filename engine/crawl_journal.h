#pragma once
// CrawlJournal: the pages a --crawl found, kept beside the output's state
// (OUTPUT.frontier, or STATE.frontier with --state) so that --resume
// continues an interrupted crawl page by page instead of from its start URLs.
//
// A crawl writes each page's records as the page completes, and the state
// marks pages by their index in the plan; the plan grows as pages are found,
// in an order that differs from run to run. The journal is that growth: one
// line per found page, in index order (index, root, depth, number, URL).
// A resumed run replays it, so every found page gets back the index the
// state's marks refer to: marked pages are done, the others (the frontier)
// are fetched, and every URL in it counts as seen.
//
// Durability: entries are buffered as pages are found and made durable
// (write + fdatasync) at each checkpoint *before* the sink makes its bytes
// durable and records its marks. So a mark never refers to a page the
// journal lacks. The reverse (pages found by a page whose mark was lost to a
// crash) is harmless: the page is fetched again, its links are already seen,
// and the pages it found are in the frontier. A torn last line (a crash in
// the middle of a write) is ignored and cut off. Master-only.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace forage::engine {

struct FoundPage {
  uint64_t id = 0;    // index in the plan
  uint64_t root = 0;  // the start URL it descends from
  uint16_t depth = 0;
  uint64_t number = 0;  // its page number (the root's)
  std::string url;      // normalised
};

class CrawlJournal {
 public:
  // A fresh journal (an existing one is replaced), for the job `fingerprint`.
  static Result<std::unique_ptr<CrawlJournal>> Create(const std::string& path,
                                                      const std::string& fingerprint);
  // --resume: reads the journal (kInvalidArgument if it is missing or of
  // another job), cuts a torn last line off, and opens it for appending.
  static Result<std::unique_ptr<CrawlJournal>> Resume(const std::string& path,
                                                      const std::string& fingerprint,
                                                      std::vector<FoundPage>* found);
  ~CrawlJournal();
  CrawlJournal(const CrawlJournal&) = delete;
  CrawlJournal& operator=(const CrawlJournal&) = delete;

  // Buffers one entry; Sync makes it durable.
  void Add(const FoundPage& page);
  // Writes what was added and fdatasyncs; nothing to write: nothing done.
  Status Sync();
  // The crawl is complete: the journal goes.
  Status Remove();
  size_t unsynced() const { return buffer_.size(); }

 private:
  CrawlJournal(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  std::string path_;
  UniqueFd fd_;
  std::string buffer_;
};

// Where the journal of a crawl writing to `output` lives.
std::string CrawlJournalPath(const std::string& output, const std::string& state_path);

}  // namespace forage::engine
