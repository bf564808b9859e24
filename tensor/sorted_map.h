// reel/tensor/sorted_map.h — reel::SortedMap<Key, Value>, the small keyed table of reel's public API (an
// optimizer's per-parameter state, a custom function's saved_data).
//
// The part of std::map's interface those tables use — operator[], at, find, count, contains, erase, iteration
// in key order over std::pair<const Key, Value> — over a sorted vector of individually allocated entries, so
// that, as with std::map, references to values stay valid while other keys are added or erased. Declared with
// <vector> and <memory> alone, so that reel.h stays free of <map> and <unordered_map>. Meant for a handful of
// keys: insertion and erasure move pointers, lookups are binary searches.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace reel {

template <typename Key, typename Value>
class SortedMap {
 public:
  using key_type = Key;
  using mapped_type = Value;
  using value_type = std::pair<const Key, Value>;
  using size_type = size_t;

 private:
  using Entries = std::vector<std::unique_ptr<value_type>>;

 public:
  template <bool Const>
  class Iter {
    using Slot = std::conditional_t<Const, typename Entries::const_iterator, typename Entries::iterator>;

   public:
    using value_type = SortedMap::value_type;
    using reference = std::conditional_t<Const, const value_type&, value_type&>;
    using pointer = std::conditional_t<Const, const value_type*, value_type*>;
    using difference_type = std::ptrdiff_t;
    Iter() = default;
    explicit Iter(Slot slot) : slot_(slot) {}
    template <bool OtherConst>
      requires(Const && !OtherConst)
    Iter(const Iter<OtherConst>& other) : slot_(other.slot()) {}  // NOLINT: iterator to const_iterator
    reference operator*() const { return **slot_; }
    pointer operator->() const { return &**slot_; }
    Iter& operator++() {
      ++slot_;
      return *this;
    }
    Iter operator++(int) {
      Iter before = *this;
      ++slot_;
      return before;
    }
    friend bool operator==(const Iter& a, const Iter& b) { return a.slot_ == b.slot_; }
    Slot slot() const { return slot_; }

   private:
    Slot slot_{};
  };

  using iterator = Iter<false>;
  using const_iterator = Iter<true>;

  SortedMap() = default;
  SortedMap(std::initializer_list<value_type> entries) {
    for (const value_type& entry : entries) (*this)[entry.first] = entry.second;
  }
  SortedMap(const SortedMap& other) { copy_from(other); }
  SortedMap(SortedMap&&) noexcept = default;
  SortedMap& operator=(const SortedMap& other) {
    if (this != &other) copy_from(other);
    return *this;
  }
  SortedMap& operator=(SortedMap&&) noexcept = default;
  ~SortedMap() = default;

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void clear() { entries_.clear(); }

  iterator begin() { return iterator(entries_.begin()); }
  iterator end() { return iterator(entries_.end()); }
  const_iterator begin() const { return const_iterator(entries_.begin()); }
  const_iterator end() const { return const_iterator(entries_.end()); }
  const_iterator cbegin() const { return begin(); }
  const_iterator cend() const { return end(); }

  // The value under `key`, value-initialised and inserted first when there is none.
  Value& operator[](const Key& key) {
    const size_t at = lower_bound(key);
    if (at == entries_.size() || key < entries_[at]->first)
      entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(at),
                      std::make_unique<value_type>(key, Value()));
    return entries_[at]->second;
  }
  // The value under `key`; throws std::out_of_range when there is none (as std::map::at).
  Value& at(const Key& key) { return const_cast<Value&>(std::as_const(*this).at(key)); }
  const Value& at(const Key& key) const {
    const size_t found = index_of(key);
    if (found == entries_.size()) throw std::out_of_range("reel::SortedMap::at: no such key");
    return entries_[found]->second;
  }
  iterator find(const Key& key) { return iterator(entries_.begin() + static_cast<std::ptrdiff_t>(index_of(key))); }
  const_iterator find(const Key& key) const {
    return const_iterator(entries_.begin() + static_cast<std::ptrdiff_t>(index_of(key)));
  }
  size_t count(const Key& key) const { return index_of(key) == entries_.size() ? 0 : 1; }
  bool contains(const Key& key) const { return count(key) == 1; }
  // Inserts (key, value) unless the key is present; returns where the key's entry is and whether it was added.
  std::pair<iterator, bool> emplace(const Key& key, Value value) {
    const size_t at = lower_bound(key);
    const bool added = at == entries_.size() || key < entries_[at]->first;
    if (added)
      entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(at),
                      std::make_unique<value_type>(key, std::move(value)));
    return {iterator(entries_.begin() + static_cast<std::ptrdiff_t>(at)), added};
  }
  // Removes the entry of `key`; returns how many were removed (0 or 1).
  size_t erase(const Key& key) {
    const size_t found = index_of(key);
    if (found == entries_.size()) return 0;
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(found));
    return 1;
  }

 private:
  // The first position whose key is not less than `key`.
  size_t lower_bound(const Key& key) const {
    size_t low = 0, high = entries_.size();
    while (low < high) {
      const size_t middle = low + (high - low) / 2;
      if (entries_[middle]->first < key) low = middle + 1;
      else high = middle;
    }
    return low;
  }
  // The position of `key`'s entry, or size() when there is none.
  size_t index_of(const Key& key) const {
    const size_t at = lower_bound(key);
    return at < entries_.size() && !(key < entries_[at]->first) ? at : entries_.size();
  }
  void copy_from(const SortedMap& other) {
    Entries copied;
    copied.reserve(other.entries_.size());
    for (const auto& entry : other.entries_) copied.push_back(std::make_unique<value_type>(*entry));
    entries_ = std::move(copied);
  }

  Entries entries_;
};

}  // namespace reel
