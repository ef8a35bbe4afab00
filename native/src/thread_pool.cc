#include "thread_pool.h"

#include <pthread.h>

namespace tfr {

ThreadPool::ThreadPool(int threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::Submit(napi_env env, Task* task) {
  task->done = CompletionOf(env);
  TaskStarted(env, task);
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(task);
  }
  cv_.notify_one();
}

int ThreadPool::queued() {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(queue_.size());
}

void ThreadPool::Loop() {
  // Named so per-thread CPU accounting (bench/lib/cpu_per_request.py) counts runs as TensorFlow's work.
  pthread_setname_np(pthread_self(), "tfr_run");
  for (;;) {
    Task* task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = queue_.front();
      queue_.pop_front();
    }
    task->Execute();
    PostCompletion(task);
  }
}

}  // namespace tfr
