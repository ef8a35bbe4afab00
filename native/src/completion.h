// Work that runs off the JavaScript thread and finishes on it. Every native job (a run, a load, a
// close, a profile) is a Task: Execute() on a pool or control thread, then Complete() on the event
// loop through one thread-safe function, so no JavaScript value is ever touched off its thread.
#pragma once
#include <node_api.h>

namespace tfr {

class Task {
 public:
  virtual ~Task() = default;
  // Off the JavaScript thread. Must not touch napi values.
  virtual void Execute() = 0;
  // On the JavaScript thread, once; the task is deleted after it returns.
  virtual void Complete(napi_env env) = 0;
};

// Creates the thread-safe function; called once from module init.
napi_status InitCompletion(napi_env env);
// JS thread: a task is about to be queued (keeps the event loop alive until it completes).
void TaskStarted();
// Any thread: hands a task whose Execute() is done back to the event loop.
void PostCompletion(Task* task);
// Any thread: queues a task that only completes (Execute() is not called), e.g. a deferred release.
void PostToLoop(Task* task);
// Runs a task on a thread of its own (loads, closes, profiles: few, long, and never behind runs).
void RunDetached(Task* task);

}  // namespace tfr
