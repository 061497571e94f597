// The recent result values of untagged units, per client group, so that a statement that looks
// up a value an earlier statement returned can be linked to that statement's row (DESIGN.md
// "Request attribution"). The attributor offers each untagged statement's sampled values and
// asks for the parent of each new statement; it owns which units are live.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "analyzer/event.hpp"
#include "analyzer/fingerprint.hpp"
#include "analyzer/flat_map.hpp"

namespace pgtally::analyzer {

using UnitId = std::uint64_t;  // an untagged unit's serial; 0 is none
using GroupId = std::uint32_t;

struct LinkLimits {
  std::chrono::milliseconds window{2000};   // a row links children for this long after it arrived
  std::chrono::milliseconds loop_gap{100};  // a loop is under way while its steps come this close
  std::size_t max_offers = 131072;          // values held in all (about 60 bytes each)
  std::size_t max_learned = 16384;          // child shapes whose parent evidence is kept
  std::size_t max_roots = 65536;            // (shape, key) pairs seen unlinked, within the window
};

// A row value that a later statement may look up.
struct Offer {
  std::uint64_t key = 0;  // group and value, combined
  UnitId unit = 0;
  Fingerprint fingerprint = 0;  // of the statement that returned it
  std::uint64_t lookup = 0;     // that statement's own lookup-key hash (a repeat is no link)
  TimePoint arrived;
  ConnectionId connection = 0;
  std::uint32_t execution = 0;  // the statement's sequence number in its unit
  std::uint16_t row = 0;        // the first row that held the value in this column
  std::uint16_t column = 0;
  std::uint16_t rows = 1;     // rows that held it in this column (20 posts, 3 authors)
  bool from_write = false;    // returned by a write (INSERT ... RETURNING id): a new key
  std::uint16_t element = 0;  // position in an array value (tag ids in one row)
};

// What the child statement brings to the search.
struct LinkQuery {
  GroupId group = 0;
  Fingerprint fingerprint = 0;
  std::uint64_t lookup = 0;  // its lookup-key hash
  ConnectionId connection = 0;
  UnitId connection_unit = 0;  // the unit of its connection's last statement
  TimePoint start;
  std::span<const ValueHash> keys;
  bool batch = false;     // an IN list or ANY array of several keys
  bool writes = false;    // a write: a loop of writes may hang on one parent row
  bool over_rows = true;  // its keys may walk a parent's rows (not an INSERT's VALUES)
};

enum class StepOrder : std::uint8_t {
  elsewhere,  // before the last step, or far past it
  ahead,      // a few positions past it
  next,       // the position just after it, as far as repeated values let tell
};

// How a candidate parent is judged against the child, besides the offer itself: the attributor
// answers from its live units.
struct CandidateView {
  bool live = false;       // the offer's unit (or the unit it merged into) still runs
  bool owned = false;      // its rows already parent a statement of the child's shape each
  bool sibling = false;    // that execution already parents a statement of the child's shape
  bool current = false;    // the offer came on the child's connection, whose last statement is
                           // in the offer's unit (a pool that keeps a request on one connection)
  TimePoint last_sibling;  // ... the latest of which started then
  TimePoint last_sibling_end;  // ... and ended then
  // Where this offer stands after that loop's last step: loops walk their parent's rows in
  // order, though they may skip a few (a NULL key, a filter); people opening pages do not.
  StepOrder order = StepOrder::elsewhere;
};

class CausalLinks {
 public:
  explicit CausalLinks(LinkLimits limits = {});

  // Offers the id-like `values` of one statement, but not a column that holds one of `echo`
  // (the statement's own keys) in every row: `WHERE user_id = 1` returning user_id 1 proves
  // nothing, while post 3 in a list filtered by blog 3 does.
  void offer(GroupId group, UnitId unit, std::uint32_t execution, Fingerprint fingerprint,
             std::uint64_t lookup, ConnectionId connection, TimePoint arrived, bool from_write,
             std::span<const SampledValue> values, std::span<const ValueHash> echo);

  // The parent row for `query`, or none. A candidate is only taken on evidence that its
  // column feeds this shape: its execution already parents siblings (a loop under way), the
  // offer stands in the first row of this shape's learned parent column, or a batch finds
  // several of its keys there. Otherwise the statement stays a root. Three roots of one shape
  // keyed by consecutive rows of one execution's column, sent in row order, are a loop too: the
  // earlier two are adopted. Among candidates taken: siblings (whose last step stood just
  // before, then whose last step ended last), the connection's current unit, nearest, oldest
  // offer.
  struct Adoption {
    UnitId unit = 0;  // an earlier root of the loop, now known to be its child
    Offer row;        // the parent row its key stands in
    ConnectionId connection = 0;
  };
  struct Linked {
    std::optional<Offer> parent;
    std::vector<Adoption> adopt;  // the parent's or the child's connection first, then oldest
  };
  // `view` answers for a candidate's unit: called once per candidate, never stored.
  template <typename View>
  Linked link(const LinkQuery& query, View&& view) {
    return link_with(query,
                     CandidateJudge{&view, [](void* v, const Offer& o) {
                                      return (*static_cast<std::remove_reference_t<View>*>(v))(o);
                                    }});
  }
  // The unit the last statement that link() left a root was placed in.
  void root_placed(UnitId unit);
  // Of the roots link() proposed to adopt, these joined the loop.
  void adopted(GroupId group, Fingerprint child, std::span<const UnitId> units);

  // A statement with keys that nothing linked: its shape looks that key up on its own (the
  // session's user, a setting), so a later lookup of the same key by the same shape is no child.
  void root_lookup(GroupId group, Fingerprint fingerprint, std::span<const ValueHash> keys,
                   TimePoint at);

  // Forgets offers older than the window.
  void expire(TimePoint now);

  [[nodiscard]] std::size_t size() const { return offers_.size(); }
  [[nodiscard]] std::uint64_t evicted() const { return evicted_; }  // dropped before their time

 private:
  static constexpr std::size_t kPerValue = 8;  // most recent offers searched per value
  // Evidence that a parent column feeds a child shape: two children of the shape found their
  // keys in one execution's column (a loop), a batch found several there.
  struct Source {
    Fingerprint parent = 0;
    std::uint16_t column = 0;
    std::uint32_t count = 0;
  };
  struct Pending {  // a recent root of the shape and the rows its keys could have come from
    UnitId unit = 0;
    ConnectionId connection = 0;
    std::vector<Offer> candidates;
    // The candidate of the unit its connection was serving, when there was one: the parent a
    // loop on a pool that keeps a request on one connection continues from.
    std::optional<Offer> serving;
  };
  struct Shape {
    std::array<Source, 6> sources{};
    std::uint32_t total = 0;
    std::deque<Pending> pending;  // newest last
  };
  // Confirmations, and a share of all the shape's evidence: small enough that a parent with
  // short loops (3 comments a post) is learned beside one with long ones (12 posts a blog).
  static constexpr std::uint32_t kLearnedAfter = 3;
  static constexpr std::uint32_t kLearnedShare = 16;
  static constexpr std::size_t kPendingPerShape = 16;
  static constexpr std::size_t kCandidatesPerPending = 24;

  struct CandidateJudge {
    void* context;
    CandidateView (*judge)(void*, const Offer&);
    CandidateView operator()(const Offer& o) const { return judge(context, o); }
  };
  Linked link_with(const LinkQuery& query, CandidateJudge view);
  // Offers are stored compactly: what the statement says once, each value in 32 bytes.
  struct Statement {
    UnitId unit = 0;
    Fingerprint fingerprint = 0;
    std::uint64_t lookup = 0;
    TimePoint arrived;
    ConnectionId connection = 0;
    std::uint32_t execution = 0;
    bool from_write = false;
  };
  struct Value {
    std::uint64_t key = 0;
    std::uint64_t previous = 0;   // sequence number of the value's previous offer, 0 none
    std::uint64_t statement = 0;  // sequence number of its Statement
    std::uint16_t row = 0;
    std::uint16_t column = 0;
    std::uint16_t rows = 1;
    std::uint16_t element = 0;
  };
  [[nodiscard]] const Value* at(std::uint64_t seq) const;
  [[nodiscard]] const Statement& statement_of(const Value& v) const {
    return statements_[v.statement - first_statement_];
  }
  [[nodiscard]] Offer offer_at(std::uint64_t seq) const;
  void push(std::uint64_t key, const SampledValue& v);
  void pop_offer();
  void forget_expired_roots(TimePoint now);
  Shape* shape(GroupId group, Fingerprint child, bool create);
  static void add_evidence(Shape& shape, Fingerprint parent, std::uint16_t column);
  [[nodiscard]] static bool learned(const Shape& shape, Fingerprint parent, std::uint16_t column);

  enum class Column : std::uint8_t { unseen, echo, varies };

  LinkLimits limits_;
  std::vector<std::pair<ValueHash, Column>> echo_columns_;  // scratch for offer()
  std::deque<Value> offers_;                                // arrival order
  std::uint64_t first_seq_ = 1;                             // sequence number of offers_.front()
  std::deque<Statement> statements_;                        // of the offers held, in order
  std::uint64_t first_statement_ = 1;
  // Group and value to its latest offer, whose `previous` chains the older ones. An entry
  // whose latest offer has left `offers_` is gone; the index drops those in bulk (push()).
  FlatMap latest_;
  std::size_t latest_compacted_ = 0;                 // latest_'s size after its last compaction
  std::unordered_map<std::uint64_t, Shape> shapes_;  // group and child shape
  Pending* last_root_ = nullptr;                     // for root_placed()
  FlatMap roots_;  // group, shape and key: when last looked up unlinked (clock ticks)
  std::size_t roots_compacted_ = 0;
  std::vector<std::pair<std::uint64_t, const SampledValue*>> keyed_;  // scratch for offer()
  FlatMap batch_columns_;  // scratch for link_with(): keys a batch finds per parent column
  std::vector<std::uint64_t> loop_values_;  // scratch for link_with()
  struct Found {
    Offer offer;
    std::uint64_t seq;
    bool sibling;
    bool next_step;     // a sibling keyed just after the loop's last step
    bool after_step;    // a sibling whose last step ended before the query started, or no sibling
    TimePoint recency;  // a sibling's last step's end, else the offer's arrival
    bool root_key;      // the shape looked this key up as a root within the window
    bool current;       // CandidateView::current
  };
  std::vector<Found> found_;  // scratch for link_with()
  std::uint64_t evicted_ = 0;
};

}  // namespace pgtally::analyzer
