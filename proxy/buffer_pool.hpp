// Relay buffers lent per read, so an idle connection holds none (as in PgBouncer). One pool per
// event-loop thread, used only from that thread: no locks.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace pgtally {

class BufferPool {
 public:
  static constexpr std::size_t kBufferSize = std::size_t{64} * 1024;
  static constexpr std::size_t kMaxIdleBuffers = 64;

  class Lease {
   public:
    Lease(BufferPool& pool, std::unique_ptr<std::byte[]> buffer)
        : pool_(&pool), buffer_(std::move(buffer)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (buffer_) pool_->give_back(std::move(buffer_));
    }
    [[nodiscard]] std::span<std::byte> bytes() const { return {buffer_.get(), kBufferSize}; }

   private:
    BufferPool* pool_;
    std::unique_ptr<std::byte[]> buffer_;
  };

  Lease lease() {
    if (free_.empty()) return {*this, std::make_unique_for_overwrite<std::byte[]>(kBufferSize)};
    auto buffer = std::move(free_.back());
    free_.pop_back();
    return {*this, std::move(buffer)};
  }

  [[nodiscard]] std::size_t idle_buffers() const { return free_.size(); }

 private:
  void give_back(std::unique_ptr<std::byte[]> buffer) {
    if (free_.size() < kMaxIdleBuffers) free_.push_back(std::move(buffer));
  }

  std::vector<std::unique_ptr<std::byte[]>> free_;
};

}  // namespace pgtally
