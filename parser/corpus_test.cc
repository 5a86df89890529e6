// Selectors, fields and encodings on real pages. The pages belong to their
// sites and are not committed: they are read from the shared corpus beside
// the checkout (../shared/corpus/pages, see its SOURCES.md), where the tests
// run from the repository root. Expected values were read off the pages.

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "parser/extract.h"
#include "parser/html_document.h"

namespace forage::parser {
namespace {

HtmlDocument Load(std::string_view name, std::string_view content_type = "") {
  std::string path = "../shared/corpus/pages/";
  path.append(name);
  std::ifstream file(path, std::ios::binary);
  INFO("path: ", path, " (the shared corpus, beside the checkout)");
  REQUIRE(file.good());
  std::stringstream bytes;
  bytes << file.rdbuf();
  return HtmlDocument::Parse(bytes.str(), content_type);
}

// Every value of a field (full field syntax) over the whole page.
std::vector<FieldValue> Values(const HtmlDocument& doc, std::string_view field,
                               std::string_view page_url = "") {
  Result<std::vector<FieldValue>> values = SelectFieldValues(doc, "test", field, page_url);
  INFO("field: ", std::string(field));
  INFO("error: ", values ? std::string() : values.error().message);
  REQUIRE(values.has_value());
  return *std::move(values);
}

std::string First(const HtmlDocument& doc, std::string_view field, std::string_view page_url = "") {
  std::vector<FieldValue> values = Values(doc, field, page_url);
  INFO("field: ", std::string(field));
  REQUIRE_FALSE(values.empty());
  return values.front().value_or("<null>");
}

size_t Count(const HtmlDocument& doc, std::string_view selector) {
  return Values(doc, selector).size();
}

std::vector<FieldValue> List(std::initializer_list<FieldValue> values) { return values; }

ExtractResult Run(const HtmlDocument& doc, std::string_view items,
                  const std::vector<FieldSpec>& fields, std::string_view page_url) {
  Result<Rules> rules = CompileRules(items, fields);
  INFO("error: ", rules ? std::string() : rules.error().message);
  REQUIRE(rules.has_value());
  return Extract(doc, *rules, page_url);
}

TEST_SUITE("parser.corpus") {

TEST_CASE("2ch.net: Shift_JIS from <meta http-equiv>, an XHTML page in HTML") {
  HtmlDocument doc = Load("2ch.net/index-sjis.html");
  CHECK(doc.encoding() == "Shift_JIS");
  CHECK(doc.encoding_source() == EncodingSource::kMeta);
  CHECK(First(doc, "title") == "２ちゃんねる掲示板へようこそ");
  CHECK(Values(doc, "#under_header a") ==
        List({"ニュース", "ヘッドライン", "テレビ欄", "過去ログ倉庫"}));
  CHECK(First(doc, "select[name=TYPE] option[selected]") == "スレッドタイトル");
  CHECK(First(doc, "input[name=ENCODING]::attr(value)") == "SJIS");
  // type= is one of HTML's case-insensitive attributes: type=hidden matches HIDDEN.
  CHECK(Count(doc, "input[type=HIDDEN]") == 3);
  CHECK(Count(doc, "input[type=HIDDEN s]") == 0);
  CHECK(First(doc, ".guide a:nth-child(2)") == "削除ガイドライン");
  CHECK(First(doc, ".header_left img::attr(alt)") == "２ちゃんねる");
  CHECK(First(doc, "meta[name=Description]::attr(content)") ==
        "「ハッキング」から「今晩のおかず」までを手広くカバーする巨大掲示板群『２ちゃんねる』へよ"
        "うこそ！");
  // The first <a> is never closed; the parser closes it at the next <a>.
  CHECK(Values(doc, ".header_left > a") ==
        List({"", "掲示板", "imode", "携帯orz", "ビューアp2"}));
}

TEST_CASE("baidu.com: GB2312 (read as GBK), non-breaking spaces kept") {
  HtmlDocument doc = Load("baidu.com/home-gb2312.html");
  CHECK(doc.encoding() == "GBK");
  CHECK(First(doc, "title") == "百度一下，你就知道");
  CHECK(Values(doc, "#nv a") == List({"新\u00A0闻", "贴\u00A0吧", "知\u00A0道", "MP3",
                                      "图\u00A0片", "视\u00A0频", "地\u00A0图"}));
  CHECK(First(doc, "#nv > b") == "网\u00A0页");
  CHECK(First(doc, "#su::attr(value)") == "百度一下");
  CHECK(First(doc, "#lh a:last-child") == "About Baidu");
  CHECK(First(doc, "area::attr(title)") == "点此进入 百度的空间");
  CHECK(Values(doc, "p:empty::attr(id)") == List({"lm"}));
  CHECK(First(doc, "#cp") ==
        "\u00A9"
        "2010 Baidu 使用百度前必读 京ICP证030173号");
  CHECK(Values(doc, "a[href^='/']::attr(href) | url", "http://www.baidu.com/") ==
        List({"http://www.baidu.com/gaoji/preferences.html", "http://www.baidu.com/more/",
              "http://www.baidu.com/duty/"}));
}

TEST_CASE("ygdy8.com: GB2312 table layout, uppercase unquoted META, CR CR LF") {
  HtmlDocument doc = Load("ygdy8.com/list.html");
  CHECK(doc.encoding() == "GBK");
  CHECK(First(doc, "title") == "电影 / 最新电影_阳光电影-迅雷电影下载");
  CHECK(First(doc, "meta[name=keywords]::attr(content)") == "迅雷电影,免费电影下载");
  CHECK(First(doc, "#menu li:nth-child(3) a") == "国内电影");
  CHECK(First(doc, "#menu a[onclick] font[color=red]") == "收藏本站");
  ExtractResult movies = Run(doc, "table.tbspan",
                             {{"title", "a.ulink"},
                              {"url", "a.ulink::attr(href) | url"},
                              {"date", "font | re:日期：(\\S+)"}},
                             "https://www.ygdy8.com/html/gndy/dyzz/index.html");
  REQUIRE(movies.records.size() == 25);
  CHECK(movies.records[0].values ==
        List({"2019年奇幻动画《驯龙高手3》BD中英双字幕",
              "https://www.ygdy8.com/html/gndy/dyzz/20190411/58453.html", "2019-04-10"}));
  CHECK(movies.records[24].values ==
        List({"2018年惊悚动作《逃出水泥地/黑吃黑》BD中英双字幕",
              "https://www.ygdy8.com/html/gndy/dyzz/20190329/58375.html", "2019-03-29"}));
}

TEST_CASE("51job.com: GBK declared after another <meta>") {
  HtmlDocument doc = Load("51job.com/search-1.html");
  CHECK(doc.encoding() == "GBK");
  CHECK(doc.encoding_source() == EncodingSource::kMeta);
  CHECK(First(doc, "title") ==
        "【后端开发,游戏,人工智能,运维/技术支持,数据,计算机软件,网络游戏招聘，求职】-前程无忧");
  CHECK(First(doc, "meta[name=keywords]::attr(content)") == "找工作,求职,人才,招聘");
  CHECK(Count(doc, "a:-soup-contains('北京')") == 2);
  std::vector<FieldValue> nav = Values(doc, ".nag a");
  REQUIRE(nav.size() == 24);
  CHECK(nav[1] == "首页");
  CHECK(nav[2] == "职位搜索");
  // A page in GBK, told it is UTF-8 by HTTP, is garbled but never fails.
  HtmlDocument wrong = Load("51job.com/search-1.html", "text/html; charset=utf-8");
  CHECK(wrong.encoding() == "UTF-8");
  CHECK(wrong.encoding_source() == EncodingSource::kHttp);
  CHECK(First(wrong, "title").find("\uFFFD") != std::string::npos);
}

TEST_CASE("books.toscrape.com: a product grid with ratings in class names") {
  HtmlDocument doc = Load("books.toscrape.com/index.html");
  CHECK(doc.encoding() == "UTF-8");
  ExtractResult books = Run(doc, "article.product_pod",
                            {{"title", "h3 a::attr(title)"},
                             {"price", ".price_color | float"},
                             {"rating", "p.star-rating::attr(class) | re:star-rating (\\w+)"},
                             {"stock", ".availability"},
                             {"url", "h3 a::attr(href) | url"}},
                            "https://books.toscrape.com/index.html");
  REQUIRE(books.records.size() == 20);
  CHECK(books.records[0].values ==
        List({"A Light in the Attic", "51.77", "Three", "In stock",
              "https://books.toscrape.com/catalogue/a-light-in-the-attic_1000/index.html"}));
  CHECK(books.records[4].values[0] == "Sapiens: A Brief History of Humankind");
  CHECK(books.records[5].values[1] == "22.65");
  CHECK(Count(doc, "p.star-rating.Three") == 3);
  CHECK(Values(doc, "article.product_pod:has(.star-rating.One) h3 a::attr(title)") ==
        List({"Tipping the Velvet", "Soumission", "The Requiem Red", "The Black Maria", "Olio",
              "Mesaerion: The Best Science Fiction Stories 1800-1849"}));
  CHECK(Values(doc, "ol.row > li:nth-child(4n):nth-child(-n+12) h3 a::attr(title)") ==
        List({"Sharp Objects",
              "The Coming Woman: A Novel Based on the Life of the Infamous "
              "Feminist, Victoria Woodhull",
              "Shakespeare's Sonnets"}));
  CHECK(First(doc, ".side_categories ul li ul li:nth-child(3) a") == "Historical Fiction");
  CHECK(First(doc, "ul.breadcrumb li.active") == "All products");
  CHECK(First(doc, "li.current") == "Page 1 of 50");
  CHECK(First(doc, "li.next a::attr(href) | url", "https://books.toscrape.com/index.html") ==
        "https://books.toscrape.com/catalogue/page-2.html");
}

TEST_CASE("quotes.toscrape.com: lists of tags and sibling links") {
  HtmlDocument doc = Load("quotes.toscrape.com/page1-2019.html");
  ExtractResult quotes = Run(doc, "div.quote",
                             {{"author", "small.author"},
                              {"tags", ".tags a.tag | all"},
                              {"about", ".author + a::attr(href) | url"}},
                             "http://quotes.toscrape.com/page/1/");
  REQUIRE(quotes.records.size() == 10);
  CHECK(quotes.records[0].values ==
        List({"Albert Einstein", "[\"change\",\"deep-thoughts\",\"thinking\",\"world\"]",
              "http://quotes.toscrape.com/author/Albert-Einstein"}));
  CHECK(quotes.records[1].values[0] == "J.K. Rowling");
  CHECK(quotes.records[1].values[1] == "[\"abilities\",\"choices\"]");
  CHECK(First(doc, "div.quote span.text").find("\u201CThe world as we have created it") == 0);
  CHECK(First(doc, ".quote:has(a.tag[href*=love]) .author") == "André Gide");
  CHECK(Values(doc, ".tags-box .tag-item:nth-last-child(-n+2) a") == List({"truth", "simile"}));
  CHECK(Count(doc, "meta.keywords") == 10);
  CHECK(First(doc, "li.next a::attr(href)") == "/page/2/");
}

TEST_CASE("news.ycombinator.com: rows whose data spans sibling rows") {
  HtmlDocument doc = Load("news.ycombinator.com/front-2025.html");
  CHECK(doc.encoding_source() == EncodingSource::kUtf8Valid);
  ExtractResult stories =
      Run(doc, "tr.athing",
          {{"rank", ".rank | int"}, {"title", ".titleline > a"}, {"site", ".sitestr"}},
          "https://news.ycombinator.com/");
  REQUIRE(stories.records.size() == 30);
  CHECK(stories.records[0].values == List({"1", "Sycophancy in GPT-4o", "openai.com"}));
  CHECK(stories.records[29].values[0] == "30");
  CHECK(Count(doc, "tr.athing + tr .score") == 29);
  CHECK(First(doc, "tr.athing:not(:has(+ tr .score)) .titleline > a") ==
        "Modern Realty (YC S24) Is Hiring");
  CHECK(Values(doc, "tr.athing + tr .score | int").front() == "219");
  CHECK(First(doc, "a.morelink::attr(href) | url", "https://news.ycombinator.com/") ==
        "https://news.ycombinator.com/?p=2");
  CHECK(First(doc, ".subline > a:last-child") == "143\u00A0comments");  // &nbsp;
  // The score sits in the item's next row: `:scope +` reaches it per item,
  // and the job ad (no score row content) gets none, not the next story's.
  ExtractResult scored =
      Run(doc, "tr.athing",
          {{"title", ".titleline > a"}, {"score", ":scope + tr .score | int"},
           {"user", ":scope + tr .hnuser"}},
          "https://news.ycombinator.com/");
  REQUIRE(scored.records.size() == 30);
  CHECK(scored.records[0].values == List({"Sycophancy in GPT-4o", "219", scored.records[0].values[2]}));
  CHECK(scored.records[0].values[2].has_value());
  size_t with_score = 0;
  for (const Record& r : scored.records) {
    if (r.values[1]) {
      ++with_score;
    } else {
      CHECK(r.values[0] == "Modern Realty (YC S24) Is Hiring");
    }
  }
  CHECK(with_score == 29);
}

TEST_CASE("duckduckgo.com: protocol-relative links resolve against the page") {
  HtmlDocument doc = Load("duckduckgo.com/html-search-foo.html");
  std::vector<FieldValue> titles = Values(doc, ".result__a");
  REQUIRE(titles.size() == 10);
  CHECK(titles[0] == "Foo Fighters - Wikipedia");
  CHECK(titles[1] == "foo | Meaning & Origin - Dictionary.com");
  CHECK(First(doc, "a.result__a::attr(href) | url", "https://html.duckduckgo.com/html/")
            .find("https://duckduckgo.com/l/"
                  "?uddg=https%3A%2F%2Fen.wikipedia.org%2Fwiki%2FFoo_Fighters") == 0);
  CHECK(First(doc, "a.result__a::attr(href) | re:uddg=([^&]+)") ==
        "https%3A%2F%2Fen.wikipedia.org%2Fwiki%2FFoo_Fighters");
  CHECK(Values(doc, ".result__url").at(5) == "foofighters.com");
  CHECK(Values(doc, "input[name=q]::attr(value)") == List({"foo", "foo"}));
}

TEST_CASE("itmedia.co.jp: a <meta> with value= declares nothing, the bytes are UTF-8") {
  HtmlDocument doc = Load("itmedia.co.jp/article-nuc-ssd.html");
  CHECK(doc.encoding() == "UTF-8");
  CHECK(doc.encoding_source() == EncodingSource::kUtf8Valid);
  CHECK(First(doc, "h1") ==
        "Intel NUCで最新SSDを比較してみた：さらば平成、さらば水冷、いくぜNUC（1/2 ページ）");
  CHECK(First(doc, "#byline") == "[田中宏昌，ITmedia]");
  CHECK(First(doc, "meta[name=keywords]::attr(value)") ==
        "トップニュース,最近の注目ニュース,デスクトップPC,自作,Windows 10");
  std::string page = First(doc, "link[rel=canonical]::attr(href)");
  CHECK(page == "https://www.itmedia.co.jp/pcuser/articles/1902/22/news089.html");
  CHECK(First(doc, "link[rel=next]::attr(href) | url", page) ==
        "https://www.itmedia.co.jp/pcuser/articles/1902/22/news089_2.html");
  CHECK(Count(doc, "html:lang(ja)") == 1);
  CHECK(First(doc, "meta[http-equiv=Content-Type]::attr(value)") ==
        "text/html;charset=shift_jis");
}

TEST_CASE("metalreview.com: no charset, CRLF, a grid of reviews") {
  HtmlDocument doc = Load("metalreview.com/home.html");
  CHECK(doc.encoding_source() == EncodingSource::kUtf8Valid);
  ExtractResult reviews = Run(doc, ".slider-item",
                              {{"band", "strong"},
                               {"album", "em"},
                               {"score", ".score | float"},
                               {"url", "a::attr(href) | url"}},
                              "http://www.metalreview.com/");
  REQUIRE(reviews.records.size() == 40);
  CHECK(reviews.records[0].values ==
        List({"Midnight", "Complete and Total Hell", "8.5",
              "http://www.metalreview.com/reviews/6795/midnight-complete-and-total-hell"}));
  CHECK(reviews.records[1].values[2] == "6");
  CHECK(First(doc, ".slider-row:nth-child(2) .slider-item:last-child strong") == "Ozzy Osbourne");
  CHECK(First(doc, ".slider-row:nth-of-type(2) > :first-child em") == "Satan Alpha Omega");
  CHECK(Count(doc, ".slider-item:has(.score)") == 40);
  CHECK(First(doc, "title") ==
        "Metal Reviews, News, Blogs, Interviews and Community | Metal Review");
}

TEST_CASE("bbc.com zhongwen: C1 numeric references become curly quotes") {
  HtmlDocument doc = Load("bbc.com-zhongwen/article.html");
  CHECK(doc.encoding() == "UTF-8");
  CHECK(doc.encoding_source() == EncodingSource::kMeta);
  CHECK(First(doc, "h1") == "港特首梁振英就住宅违建事件道歉");
  CHECK(First(doc, ".bodytext h2") == "\u201C郑重道歉\u201D");
  CHECK(First(doc, "p:-soup-contains('撒谎')") ==
        "不过泛民主派议员们普遍指责梁振英\u201C撒谎\u201D，要求他马上辞职下台。");
  CHECK(First(doc, "p.ingress") ==
        "香港行政长官梁振英在各方压力下就其大宅的违章建筑（僭建）问题到立法会接受质询，并向香港民"
        "众道歉。");
  CHECK(First(doc, "p.ingress + p") ==
        "梁振英此前承认早在去年参选行政长官之前就已知悉其住宅的违建问题，引发诚信危机。");
  CHECK(First(doc, "html::attr(lang)") == "zh-Hans");
  CHECK(Count(doc, "p:lang(zh)") == Count(doc, "p"));
}

TEST_CASE("movie.douban.com: the Top 250 list") {
  HtmlDocument doc = Load("movie.douban.com/top250-page1.html");
  ExtractResult films = Run(doc, "ol.grid_view > li",
                            {{"rank", ".pic em | int"},
                             {"title", ".title:first-child"},
                             {"rating", ".rating_num | float"},
                             {"votes", ".star span:last-child | int"},
                             {"quote", ".inq"},
                             {"url", ".hd a::attr(href)"}},
                            "https://movie.douban.com/top250");
  REQUIRE(films.records.size() == 25);
  CHECK(films.records[0].values == List({"1", "肖申克的救赎", "9.7", "2757702", "希望让人自由。",
                                         "https://movie.douban.com/subject/1292052/"}));
  CHECK(films.records[1].values[1] == "霸王别姬");
  CHECK(First(doc, "span.next a::attr(href) | url", "https://movie.douban.com/top250") ==
        "https://movie.douban.com/top250?start=25&filter=");
  CHECK(Values(doc, ".paginator a:last-of-type") == List({"10", "后页>"}));
}

TEST_CASE("goodreads.com: <meta charset> after byte 1024, the bytes are UTF-8") {
  HtmlDocument doc = Load("goodreads.com/book-show-77566.html");
  CHECK(doc.encoding() == "UTF-8");
  CHECK(doc.encoding_source() == EncodingSource::kUtf8Valid);
  CHECK(First(doc, "h1[data-testid=bookTitle]") == "Hyperion");
  CHECK(First(doc, "head > title") ==
        "Hyperion (Hyperion Cantos, #1) by Dan Simmons | Goodreads");
  CHECK(Count(doc, "title") == 3);  // two more inside inline <svg>
  CHECK(First(doc, ".RatingStatistics__rating | float") == "4.25");
  CHECK(First(doc, "[data-testid=pagesFormat] | int") == "500");
  CHECK(First(doc, "meta[property='og:title']::attr(content)") ==
        "Hyperion (Hyperion Cantos, #1)");
  std::vector<FieldValue> genres =
      Values(doc, ".BookPageMetadataSection__genres .Button__labelItem");
  REQUIRE(genres.size() >= 3);
  CHECK(genres[0] == "Science Fiction");
  CHECK(genres[2] == "Fantasy");
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::parser
