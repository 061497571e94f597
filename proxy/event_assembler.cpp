#include "proxy/event_assembler.hpp"

#include <algorithm>

#include "analyzer/literal_scanner.hpp"
#include "analyzer/sql_split.hpp"
#include "proxy/wire/byte_order.hpp"
#include "proxy/wire/messages.hpp"
#include "proxy/wire/value_keys.hpp"

namespace pgtally {
namespace {

using analyzer::Parameter;
using wire::Direction;

constexpr std::uint32_t kInt8 = 20;
constexpr std::uint32_t kInt2 = 21;
constexpr std::uint32_t kInt4 = 23;
constexpr std::uint32_t kUuid = 2950;
constexpr std::uint32_t kInt2Array = 1005;
constexpr std::uint32_t kInt4Array = 1007;
constexpr std::uint32_t kInt8Array = 1016;
constexpr std::uint32_t kUuidArray = 2951;
constexpr std::uint32_t kJson = 114;
constexpr std::uint32_t kJsonb = 3802;
constexpr std::uint8_t kJsonbVersion = 1;  // the first byte of jsonb in binary, then its text
constexpr std::uint16_t kMostJsonKeys = 64;
constexpr std::uint32_t kNameHead = 256;    // Execute, Close: a name and an int
constexpr std::uint32_t kErrorHead = 1024;  // ErrorResponse fields before the message text

bool is_int(std::uint32_t oid) {
  return oid == kInt8 || oid == kInt2 || oid == kInt4;
}

bool is_key_array(std::uint32_t oid) {
  return oid == kInt2Array || oid == kInt4Array || oid == kInt8Array || oid == kUuidArray;
}

}  // namespace

EventAssembler::EventAssembler(analyzer::ConnectionId connection,
                               const analyzer::ValueHasher* hasher, AssemblerLimits limits)
    : connection_(connection), hasher_(hasher), limits_(limits) {}

std::uint32_t EventAssembler::head_wanted(Direction direction, char type, std::uint32_t) const {
  if (direction == Direction::client_to_server) {
    switch (type) {
      case wire::frontend::kQuery:
      case wire::frontend::kParse:
        return limits_.max_text_bytes;
      case wire::frontend::kBind:
        return limits_.max_bind_bytes;
      case wire::frontend::kExecute:
      case wire::frontend::kClose:
      case wire::frontend::kDescribe:
        return kNameHead;
      default:
        return 0;
    }
  }
  switch (type) {
    case wire::backend::kDataRow:
      return hasher_ != nullptr ? limits_.max_row_bytes : 0;
    case wire::backend::kRowDescription:
      return hasher_ != nullptr ? 4096 : 0;
    case wire::backend::kCommandComplete:
      return kNameHead;
    case wire::backend::kErrorResponse:
      return kErrorHead;
    case wire::backend::kReadyForQuery:
      return 1;
    case wire::backend::kBackendKeyData:
      return 8;
    default:
      return 0;
  }
}

void EventAssembler::started(const SessionStarted& started, EventSink&) {
  for (const auto& [key, value] : started.startup_parameters) {
    if (key == "user") group_.user = value;
    if (key == "database") group_.database = value;
    if (key == "application_name") group_.application_name = value;
  }
  if (group_.database.empty()) group_.database = group_.user;
  group_.client_address = started.client_address;
}

void EventAssembler::refused(analyzer::Refuser refused_by, analyzer::TimePoint at,
                             EventSink& sink) {
  sink.emit(analyzer::ServerRefusal{connection_, group_, refused_by, at});
}

void EventAssembler::closed(analyzer::CloseReason reason, analyzer::TimePoint at, EventSink& sink) {
  if (opened_) sink.emit(analyzer::ConnectionClosed{connection_, reason, at});
}

void EventAssembler::message(const MessageSeen& m, EventSink& sink) {
  if (m.direction == Direction::client_to_server) {
    const bool was_idle = pending_.empty();
    switch (m.type) {
      case wire::frontend::kQuery:
        on_query(m);
        break;
      case wire::frontend::kParse:
        on_parse(m);
        break;
      case wire::frontend::kBind:
        on_bind(m);
        break;
      case wire::frontend::kExecute:
        on_execute(m);
        break;
      case wire::frontend::kClose:
        on_close(m);
        break;
      case wire::frontend::kDescribe:
        on_describe(m);
        return;
      default:
        return;
    }
    if (was_idle && !pending_.empty() && opened_) {
      sink.emit(analyzer::QueryStarted{connection_, m.at});
    }
    return;
  }
  switch (m.type) {
    case wire::backend::kBackendKeyData:
      if (const auto key = wire::parse_backend_key_data(m.head)) backend_pid_ = key->pid;
      break;
    case wire::backend::kRowDescription:
      on_row_description(m);
      break;
    case wire::backend::kNoData:
      if (!describing_.empty()) {
        described(describing_.front(), std::make_shared<const Fields::element_type>());
        describing_.pop_front();
      }
      break;
    case wire::backend::kDataRow:
      on_data_row(m);
      break;
    case wire::backend::kCommandComplete: {
      const auto done = wire::parse_command_complete(m.head);
      complete(m, sink, done ? done->rows : std::nullopt, std::nullopt);
      break;
    }
    case wire::backend::kPortalSuspended:
      if (!pending_.empty()) {
        pending_.front().event.suspended = true;
        if (auto p = portals_.find(pending_.front().event.portal_name); p != portals_.end()) {
          p->second.suspended = true;
        }
      }
      complete(m, sink, std::nullopt, std::nullopt);
      break;
    case wire::backend::kEmptyQueryResponse:
      if (!pending_.empty()) pending_.pop_front();
      break;
    case wire::backend::kErrorResponse: {
      const auto fields = wire::parse_error_fields(m.head);
      analyzer::ServerError error;
      if (fields) {
        error = {fields->sqlstate, fields->severity, fields->constraint, fields->table,
                 fields->column};
      }
      if (!pending_.empty()) complete(m, sink, std::nullopt, error);
      break;
    }
    case wire::backend::kReadyForQuery:
      on_ready(m, sink);
      break;
    default:
      break;
  }
}

void EventAssembler::push_pending(analyzer::QueryEvent event, analyzer::TimePoint sent,
                                  std::vector<std::int16_t> result_formats) {
  if (pending_.size() >= limits_.max_pending) {
    ++dropped_pending_;
    return;
  }
  event.connection = connection_;
  event.source = analyzer::Source::proxy;
  pending_.push_back({std::move(event), sent, std::move(result_formats), 0, ++order_, nullptr});
}

void EventAssembler::on_query(const MessageSeen& m) {
  const auto query = wire::parse_query(m.head, m.length);
  if (!query) return;
  for (const auto statement : split_statements(query->text)) {
    analyzer::QueryEvent event;
    event.protocol = analyzer::Protocol::simple;
    event.text = std::string(statement);
    event.truncated = query->truncated;
    push_pending(std::move(event), m.at);
  }
}

void EventAssembler::on_parse(const MessageSeen& m) {
  const auto parse = wire::parse_parse(m.head, m.length);
  if (!parse) return;
  if (!parse->statement.empty() && statements_.size() >= limits_.max_statements &&
      !statements_.contains(std::string(parse->statement))) {
    return;  // too many named statements: later Executes of it carry only the name
  }
  statements_[std::string(parse->statement)] =
      Prepared{std::string(parse->text), parse->parameter_types, parse->truncated, nullptr};
}

analyzer::Parameter EventAssembler::hash_value(const wire::BoundValue& value, std::int16_t format,
                                               std::uint32_t type_oid) const {
  Parameter p;
  p.is_null = value.is_null;
  p.format = format;
  p.type_oid = type_oid;
  if (value.is_null || hasher_ == nullptr || value.bytes.size() < value.length) return p;
  const std::string_view bytes = wire::as_chars(value.bytes);
  if (format == 0) {
    p.hash = hasher_->hash_text(bytes);
    if (!bytes.empty() && bytes.front() == '{') {
      const auto elements = analyzer::array_elements(bytes);
      p.array_length = static_cast<std::int32_t>(elements.size());
      for (std::size_t i = 0; i < elements.size() && i < limits_.max_array_elements; ++i) {
        p.elements.push_back(hasher_->hash_text(elements[i]));
      }
    }
    return p;
  }
  if (is_int(type_oid)) {
    p.hash = hasher_->hash_binary_int(bytes);
  } else if (type_oid == kUuid && bytes.size() == 16) {
    p.hash = hasher_->hash_binary_uuid(bytes);
  } else if (bytes.size() >= 12) {
    // A binary array: ndim, has-null flag, element type, then (length, lower bound) per
    // dimension and (length, bytes) per element. One dimension of ints or uuids is keyed.
    const auto raw = value.bytes;
    const auto ndim = wire::read_u32(raw);
    const auto element_type = wire::read_u32(raw.subspan(8));
    if (ndim == 1 && raw.size() >= 20 && (is_int(element_type) || element_type == kUuid)) {
      const auto count = wire::read_u32(raw.subspan(12));
      p.array_length = static_cast<std::int32_t>(count);
      std::size_t at = 20;
      for (std::uint32_t i = 0; i < count && at + 4 <= raw.size(); ++i) {
        const auto length = static_cast<std::int32_t>(wire::read_u32(raw.subspan(at)));
        at += 4;
        if (length < 0 || at + static_cast<std::size_t>(length) > raw.size()) break;
        const auto element = wire::as_chars(raw.subspan(at, static_cast<std::size_t>(length)));
        at += static_cast<std::size_t>(length);
        if (p.elements.size() < limits_.max_array_elements) {
          p.elements.push_back(is_int(element_type) ? hasher_->hash_binary_int(element)
                                                    : hasher_->hash_binary_uuid(element));
        }
      }
    }
    p.hash = hasher_->hash_text(bytes);
  } else {
    p.hash = hasher_->hash_text(bytes);  // links only with the same binary form
  }
  return p;
}

void EventAssembler::on_bind(const MessageSeen& m) {
  const auto bind = wire::parse_bind(m.head, m.length);
  if (!bind) return;
  Portal portal{std::string(bind->statement), {}, bind->result_formats, bind->truncated, nullptr};
  // No result format codes means every column in text, whatever a Describe said before.
  if (portal.result_formats.empty() && !bind->truncated) portal.result_formats = {0};
  const auto prepared = statements_.find(portal.statement);
  for (std::size_t i = 0; i < bind->values.size(); ++i) {
    std::uint32_t oid = 0;
    if (prepared != statements_.end() && i < prepared->second.parameter_types.size()) {
      oid = prepared->second.parameter_types[i];
    }
    portal.parameters.push_back(hash_value(bind->values[i], bind->format_of(i), oid));
  }
  portals_[std::string(bind->portal)] = std::move(portal);
}

void EventAssembler::on_execute(const MessageSeen& m) {
  const auto execute = wire::parse_execute(m.head);
  if (!execute) return;
  analyzer::QueryEvent event;
  event.protocol = analyzer::Protocol::extended;
  event.portal_name = std::string(execute->portal);
  const auto portal = portals_.find(event.portal_name);
  if (portal == portals_.end()) {
    push_pending(std::move(event), m.at);
    return;
  }
  event.statement_name = portal->second.statement;
  event.resumed = portal->second.suspended;
  event.parameters = portal->second.parameters;
  event.truncated = portal->second.truncated;
  Fields fields = portal->second.fields;
  const auto prepared = statements_.find(portal->second.statement);
  if (prepared != statements_.end()) {
    event.text = prepared->second.text;
    event.truncated = event.truncated || prepared->second.truncated;
    if (!fields) fields = prepared->second.fields;
  }
  push_pending(std::move(event), m.at, portal->second.result_formats);
  if (!pending_.empty()) pending_.back().fields = std::move(fields);
}

void EventAssembler::on_close(const MessageSeen& m) {
  const auto close = wire::parse_close(m.head);
  if (!close) return;
  if (close->kind == 'S') {
    statements_.erase(std::string(close->name));
  } else {
    portals_.erase(std::string(close->name));
  }
}

void EventAssembler::on_describe(const MessageSeen& m) {
  const auto describe = wire::parse_describe(m.head);
  if (!describe || describing_.size() >= limits_.max_pending) return;
  describing_.push_back({describe->kind, std::string(describe->name), ++order_});
}

void EventAssembler::on_row_description(const MessageSeen& m) {
  const auto description = wire::parse_row_description(m.head, m.length);
  row_fields_ = std::make_shared<const Fields::element_type>(description ? description->fields
                                                                         : Fields::element_type{});
  // It answers a simple Query, or the oldest Describe sent before that Query: an Execute gets
  // no RowDescription of its own.
  const bool simple_first = !pending_.empty() &&
                            pending_.front().event.protocol == analyzer::Protocol::simple &&
                            pending_.front().rows_seen == 0 && !pending_.front().fields;
  if (!describing_.empty() &&
      (!simple_first || describing_.front().order < pending_.front().order)) {
    described(describing_.front(), row_fields_);
    describing_.pop_front();
  } else if (simple_first) {
    pending_.front().fields = row_fields_;
  }
}

void EventAssembler::described(const Describing& target, const Fields& fields) {
  if (target.kind == 'S') {
    if (auto prepared = statements_.find(target.name); prepared != statements_.end()) {
      prepared->second.fields = fields;
    }
  } else if (auto portal = portals_.find(target.name); portal != portals_.end()) {
    portal->second.fields = fields;
    // pgjdbc describes the portal of a named statement's first execution, never the statement:
    // its later executions read their rows with these columns.
    if (auto prepared = statements_.find(portal->second.statement);
        prepared != statements_.end() && !prepared->second.fields) {
      prepared->second.fields = fields;
    }
  }
  // Executes sent with the Describe in one pipeline are waiting for it.
  for (Pending& p : pending_) {
    if (p.order < target.order || p.fields || p.event.protocol != analyzer::Protocol::extended) {
      continue;
    }
    const bool of_target = target.kind == 'S' ? p.event.statement_name == target.name
                                              : p.event.portal_name == target.name;
    if (of_target) p.fields = fields;
  }
}

void EventAssembler::on_data_row(const MessageSeen& m) {
  if (pending_.empty()) return;
  auto& pending = pending_.front();
  ++pending.rows_seen;
  auto& sampled = pending.event.sampled_values;
  if (hasher_ == nullptr || pending.rows_seen > limits_.max_sampled_rows ||
      sampled.size() >= limits_.max_sampled_values) {
    return;
  }
  const auto row = wire::parse_data_row(m.head, m.length);
  if (!row) return;
  const auto row_index = static_cast<std::uint16_t>(pending.rows_seen - 1);
  const std::size_t columns = std::min<std::size_t>(row->columns.size(), 0xffff);
  static const Fields::element_type kUndescribed;
  const Fields::element_type& fields = pending.fields ? *pending.fields
                                       : row_fields_  ? *row_fields_
                                                      : kUndescribed;
  // Every column position is reached (a foreign key after a long TEXT column included); only
  // key-like values of table columns are kept: integers, uuids and short text.
  for (std::size_t c = 0; c < columns && sampled.size() < limits_.max_sampled_values; ++c) {
    const auto& column = row->columns[c];
    if (column.is_null) continue;
    // A count, a sum or any expression is no key: only a table's columns are sampled.
    if (c < fields.size() && fields[c].table_oid == 0) continue;
    const std::uint32_t oid = c < fields.size() ? fields[c].type_oid : 0;
    const std::int16_t format = pending.result_formats.empty()
                                    ? (c < fields.size() ? fields[c].format : std::int16_t{0})
                                    : wire::format_code(pending.result_formats, c);
    std::string_view bytes = wire::as_chars(column.bytes);
    const bool whole = column.bytes.size() >= column.length;
    // A key held inside the value: an array element or an id in a document, by its position.
    auto sample_element = [&](std::string_view element, std::uint16_t index) {
      if (sampled.size() >= limits_.max_sampled_values) return;
      sampled.push_back(
          {hasher_->hash_text(element), row_index, static_cast<std::uint16_t>(c), index});
    };
    if (oid == kJson || oid == kJsonb) {  // ids held in a document, even one cut at the limit
      if (format == 1 && oid == kJsonb) {
        if (bytes.empty() || static_cast<std::uint8_t>(bytes.front()) != kJsonbVersion) continue;
        bytes.remove_prefix(1);
      }
      wire::for_each_json_key(bytes, whole, kMostJsonKeys, sample_element);
      continue;
    }
    if (!whole) continue;
    analyzer::ValueHash hash = 0;
    if (format == 0 && is_key_array(oid)) {  // tag ids, related ids held in one column
      wire::for_each_array_element(bytes, sample_element);
      continue;
    }
    if (format == 0) {
      if (bytes.empty() || bytes.size() > limits_.max_key_bytes) continue;
      hash = hasher_->hash_text(bytes);
    } else if (is_int(oid)) {
      hash = hasher_->hash_binary_int(bytes);
    } else if (oid == kUuid && bytes.size() == 16) {
      hash = hasher_->hash_binary_uuid(bytes);
    } else {
      continue;
    }
    sampled.push_back({hash, row_index, static_cast<std::uint16_t>(c)});
  }
}

void EventAssembler::complete(const MessageSeen& m, EventSink& sink,
                              std::optional<std::uint64_t> rows,
                              std::optional<analyzer::ServerError> error) {
  if (pending_.empty()) return;
  Pending done = std::move(pending_.front());
  pending_.pop_front();
  // In a pipeline a statement starts when the one before it has finished.
  done.event.start = std::max(done.sent, last_completed_);
  done.event.end = m.at;
  done.event.rows = rows.value_or(done.rows_seen);
  done.event.error = std::move(error);
  last_completed_ = m.at;
  sink.emit(std::move(done.event));
}

void EventAssembler::on_ready(const MessageSeen& m, EventSink& sink) {
  const auto status = wire::parse_ready_for_query(m.head);
  if (!opened_) {
    opened_ = true;
    sink.emit(analyzer::ConnectionOpened{connection_, backend_pid_, group_, analyzer::Source::proxy,
                                         m.at});
  }
  // Statements and Describes left unanswered were skipped by the server after an error.
  pending_.clear();
  describing_.clear();
  if (status && *status != tx_status_) {
    tx_status_ = *status;
    const auto state = *status == 'T'   ? analyzer::TxState::in_transaction
                       : *status == 'E' ? analyzer::TxState::failed
                                        : analyzer::TxState::idle;
    sink.emit(analyzer::TransactionStateChanged{connection_, state, m.at});
  }
}

}  // namespace pgtally
