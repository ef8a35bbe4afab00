// A fixed pool of native threads for session runs, shared by every environment that loads the
// addon. TF_SessionRun blocks its caller while TensorFlow's own inter-op/intra-op pools compute, so
// this pool bounds how many runs are in flight at once, not how many cores they use.
#pragma once
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "completion.h"

namespace tfr {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  // JS thread. Runs task->Execute() on a pool thread, then completes it on env's event loop.
  void Submit(napi_env env, Task* task);
  int size() const { return static_cast<int>(threads_.size()); }
  int queued();

 private:
  void Loop();
  std::vector<std::thread> threads_;
  std::deque<Task*> queue_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace tfr
