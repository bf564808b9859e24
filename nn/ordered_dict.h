// reel/nn/ordered_dict.h — reel::OrderedDict<Key, Value>, LibTorch's insertion-ordered dictionary (what
// named_parameters(), named_buffers(), named_children() and named_modules() return).
//
//   for (const auto& item : net->named_parameters()) std::cout << item.key() << ": " << item.value().sizes();
//   for (const auto& [name, tensor] : net->named_parameters()) ...     // structured bindings work too
//   Tensor w = net->named_parameters()["fc1.weight"];                   // reel::Error naming the key if absent
//   if (Tensor* b = params.find("fc1.bias")) ...                        // nullptr if absent
//
// Each Item has LibTorch's key() / value() and, for code that used reel's former vector of pairs, public
// `first` / `second`; the dictionary converts to std::vector<std::pair<Key, Value>> (nn::NamedTensors).
// Lookups by key are linear, as module trees are small; insertion order is the iteration order.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../tensor/error.h"

namespace reel {

template <typename Key, typename Value>
class OrderedDict {
 public:
  // One entry: a key and its value. The members stay public (and the only data members) so that
  // `auto& [key, value] = item` binds them.
  struct Item {
    Item(Key key_, Value value_) : first(std::move(key_)), second(std::move(value_)) {}
    const Key& key() const { return first; }
    Value& value() { return second; }
    const Value& value() const { return second; }
    Value& operator*() { return second; }
    const Value& operator*() const { return second; }
    Value* operator->() { return &second; }
    const Value* operator->() const { return &second; }
    std::pair<Key, Value> pair() const { return {first, second}; }

    Key first;
    Value second;
  };
  using Iterator = typename std::vector<Item>::iterator;
  using ConstIterator = typename std::vector<Item>::const_iterator;

  // key_description names what the keys are in error messages ("Key", "Parameter", ...), as LibTorch's.
  explicit OrderedDict(std::string key_description = "Key") : key_description_(std::move(key_description)) {}
  OrderedDict(std::initializer_list<Item> items) : key_description_("Key") {
    for (const Item& item : items) insert(item.first, item.second);
  }

  const std::string& key_description() const { return key_description_; }

  // ---- element access ------------------------------------------------------------------------------------
  Item& front() { return at_index(0); }
  const Item& front() const { return const_cast<OrderedDict*>(this)->at_index(0); }
  Item& back() { return at_index(items_.empty() ? 0 : items_.size() - 1); }
  const Item& back() const { return const_cast<OrderedDict*>(this)->back(); }
  // The item at position `index` in insertion order.
  Item& operator[](size_t index) { return at_index(index); }
  const Item& operator[](size_t index) const { return const_cast<OrderedDict*>(this)->at_index(index); }
  // The value under `key`; throws reel::Error naming the key when there is none.
  Value& operator[](const Key& key) {
    if (Value* value = find(key)) return *value;
    throw Error("OrderedDict: " + key_description_ + " '" + key_text(key) + "' is not defined");
  }
  const Value& operator[](const Key& key) const { return (*const_cast<OrderedDict*>(this))[key]; }
  // A pointer to the value under `key`, or nullptr.
  Value* find(const Key& key) {
    for (Item& item : items_)
      if (item.first == key) return &item.second;
    return nullptr;
  }
  const Value* find(const Key& key) const { return const_cast<OrderedDict*>(this)->find(key); }
  bool contains(const Key& key) const { return find(key) != nullptr; }

  // ---- iteration and size --------------------------------------------------------------------------------
  Iterator begin() { return items_.begin(); }
  ConstIterator begin() const { return items_.begin(); }
  Iterator end() { return items_.end(); }
  ConstIterator end() const { return items_.end(); }
  size_t size() const { return items_.size(); }
  bool is_empty() const { return items_.empty(); }
  bool empty() const { return items_.empty(); }  // the std spelling, for code written against the former vector
  void reserve(size_t n) { items_.reserve(n); }

  // ---- modifiers -------------------------------------------------------------------------------------------
  // Adds `value` under `key`; throws reel::Error when the key is already present.
  Value& insert(Key key, Value value) {
    if (contains(key)) throw Error("OrderedDict: " + key_description_ + " '" + key_text(key) + "' already defined");
    items_.emplace_back(std::move(key), std::move(value));
    return items_.back().second;
  }
  // Appends without the duplicate check: for callers whose keys are unique by construction (module trees).
  void append_unique(Key key, Value value) { items_.emplace_back(std::move(key), std::move(value)); }
  // insert() for every item of `other`, in order.
  void update(const OrderedDict& other) {
    for (const Item& item : other) insert(item.first, item.second);
  }
  // Removes the item under `key`; throws reel::Error when there is none.
  void erase(const Key& key) {
    for (auto it = items_.begin(); it != items_.end(); ++it) {
      if (it->first == key) {
        items_.erase(it);
        return;
      }
    }
    throw Error("OrderedDict: " + key_description_ + " '" + key_text(key) + "' is not defined");
  }
  void clear() { items_.clear(); }

  // ---- views -----------------------------------------------------------------------------------------------
  const std::vector<Item>& items() const { return items_; }
  std::vector<Key> keys() const {
    std::vector<Key> out;
    out.reserve(items_.size());
    for (const Item& item : items_) out.push_back(item.first);
    return out;
  }
  std::vector<Value> values() const {
    std::vector<Value> out;
    out.reserve(items_.size());
    for (const Item& item : items_) out.push_back(item.second);
    return out;
  }
  std::vector<std::pair<Key, Value>> pairs() const {
    std::vector<std::pair<Key, Value>> out;
    out.reserve(items_.size());
    for (const Item& item : items_) out.emplace_back(item.first, item.second);
    return out;
  }
  // reel's former return type of named_parameters() and friends (nn::NamedTensors for tensors).
  operator std::vector<std::pair<Key, Value>>() const { return pairs(); }  // NOLINT: implicit on purpose

 private:
  static std::string key_text(const Key& key) {
    if constexpr (std::is_convertible_v<const Key&, std::string>) {
      return std::string(key);
    } else {
      return std::to_string(key);
    }
  }
  Item& at_index(size_t index) {
    if (index >= items_.size())
      throw Error("OrderedDict: index " + std::to_string(index) + " is out of range for " +
                  std::to_string(items_.size()) + " items");
    return items_[index];
  }

  std::string key_description_;
  std::vector<Item> items_;
};

}  // namespace reel
