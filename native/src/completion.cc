#include "completion.h"

#include <pthread.h>

#include <mutex>
#include <thread>

namespace tfr {

class Completion {
 public:
  napi_threadsafe_function tsfn = nullptr;
  // Tasks started and not yet completed; only the JS thread reads or writes it.
  int in_flight = 0;
  // Set when the environment starts tearing down, before Node frees the thread-safe function: from
  // then on a finished task is deleted where it is instead of being handed to a function that may
  // no longer exist.
  std::mutex mu;
  bool closed = false;
};

namespace {

struct Envelope {
  Task* task;
  bool counted;
};

void CallJs(napi_env env, napi_value, void*, void* data) {
  auto* e = static_cast<Envelope*>(data);
  // env is null when Node drains the queue at teardown: the task is only freed.
  if (env != nullptr) e->task->Complete(env);
  CompletionPtr done = e->task->done;
  delete e->task;
  if (e->counted && --done->in_flight == 0 && env != nullptr) napi_unref_threadsafe_function(env, done->tsfn);
  delete e;
}

void Post(Task* task, bool counted) {
  CompletionPtr done = task->done;
  auto* envelope = new Envelope{task, counted};
  {
    std::lock_guard<std::mutex> lock(done->mu);
    if (!done->closed && napi_call_threadsafe_function(done->tsfn, envelope, napi_tsfn_nonblocking) == napi_ok) return;
  }
  // napi_closing, or teardown under way: nobody will complete it, so the task frees its tensors in
  // its destructor, here (outside the lock: freeing a session can release memory TensorFlow
  // borrowed, which posts again).
  delete envelope;
  delete task;
}

// Runs once, when the environment tears down; owns its holder.
void OnTeardown(void* arg) {
  auto* done = static_cast<CompletionPtr*>(arg);
  {
    std::lock_guard<std::mutex> lock((*done)->mu);
    (*done)->closed = true;
  }
  delete done;
}

void FreeInstance(napi_env, void* data, void*) { delete static_cast<CompletionPtr*>(data); }

}  // namespace

napi_status InitCompletion(napi_env env) {
  auto done = std::make_shared<Completion>();
  napi_value name;
  napi_create_string_utf8(env, "tf_runtime_completion", NAPI_AUTO_LENGTH, &name);
  napi_status s = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, nullptr,
                                                  CallJs, &done->tsfn);
  if (s != napi_ok) return s;
  // Idle, the runtime must not keep the process alive.
  if ((s = napi_unref_threadsafe_function(env, done->tsfn)) != napi_ok) return s;
  // Registered after the thread-safe function (cleanup hooks run in reverse order), so it runs
  // before Node's own teardown of it. The hook and the instance data each hold the state, as do
  // tasks still running on other threads.
  if ((s = napi_add_env_cleanup_hook(env, OnTeardown, new CompletionPtr(done))) != napi_ok) return s;
  return napi_set_instance_data(env, new CompletionPtr(done), FreeInstance, nullptr);
}

CompletionPtr CompletionOf(napi_env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  return data ? *static_cast<CompletionPtr*>(data) : nullptr;
}

void TaskStarted(napi_env env, Task* task) {
  Completion* done = task->done.get();
  if (done->in_flight++ == 0) napi_ref_threadsafe_function(env, done->tsfn);
}

void PostCompletion(Task* task) { Post(task, true); }

void PostToLoop(Task* task) { Post(task, false); }

void RunDetached(napi_env env, Task* task) {
  task->done = CompletionOf(env);
  TaskStarted(env, task);
  std::thread([task] {
    pthread_setname_np(pthread_self(), "tfr_task");
    task->Execute();
    PostCompletion(task);
  }).detach();
}

}  // namespace tfr
