// reel/autograd/node.cpp — node lifetime: pooled allocation, reference counting, and iterative release.
//
// Releasing the last output of a long forward pass frees a chain of nodes; deleting them recursively would
// overflow the stack after some 10^5 nodes, so deletion goes through a per-thread work list.
#include "autograd/node.h"

#include <vector>

namespace reel::autograd {

namespace {

std::atomic<int64_t> g_live_nodes{0};

// A per-thread free list of node-sized blocks. Blocks freed by another thread join that thread's list.
struct NodePool {
  std::vector<void*> free_blocks;
  ~NodePool() {
    for (void* p : free_blocks) ::operator delete(p);
  }
};
thread_local NodePool t_pool;
constexpr size_t kMaxPooledBlocks = 1 << 16;

struct ReleaseQueue {
  std::vector<Node*> pending;
  bool draining = false;
};
thread_local ReleaseQueue t_release;

}  // namespace

Node::Node() { g_live_nodes.fetch_add(1, std::memory_order_relaxed); }

Node::~Node() {
  for (Edge& edge : next_edges) {
    if (edge.node != nullptr) release_node(edge.node);
    if (edge.leaf != nullptr) IntrusivePtr<TensorImpl>::adopt(edge.leaf).reset();
  }
  g_live_nodes.fetch_sub(1, std::memory_order_relaxed);
}

void* Node::operator new(size_t size) {
  if (size == sizeof(Node) && !t_pool.free_blocks.empty()) {
    void* p = t_pool.free_blocks.back();
    t_pool.free_blocks.pop_back();
    return p;
  }
  return ::operator new(size);
}

void Node::operator delete(void* p) {
  if (t_pool.free_blocks.size() < kMaxPooledBlocks) {
    t_pool.free_blocks.push_back(p);
    return;
  }
  ::operator delete(p);
}

void retain_node(Node* node) { node->refcount.fetch_add(1, std::memory_order_relaxed); }

void release_node(Node* node) {
  if (node->refcount.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  ReleaseQueue& queue = t_release;
  queue.pending.push_back(node);
  if (queue.draining) return;  // an outer call is already deleting: it will pick this one up
  queue.draining = true;
  while (!queue.pending.empty()) {
    Node* next = queue.pending.back();
    queue.pending.pop_back();
    delete next;  // may push more nodes onto the queue
  }
  queue.draining = false;
}

const char* node_name(const Node* node) { return node->name; }

int64_t live_node_count() { return g_live_nodes.load(std::memory_order_relaxed); }

}  // namespace reel::autograd
