// Work that runs off the JavaScript thread and finishes on it. Every native job (a run, a load, a
// close, a profile) is a Task: Execute() on a pool or control thread, then Complete() on the event
// loop of the environment that created it, through that environment's thread-safe function, so no
// JavaScript value is ever touched off its thread. The state is per environment (instance data), so
// the addon can be loaded in several (worker threads) at once.
#pragma once
#include <node_api.h>

#include <memory>

namespace tfr {

class Completion;
using CompletionPtr = std::shared_ptr<Completion>;

class Task {
 public:
  // A task whose environment is shutting down is deleted without Complete(): destructors free the
  // native resources Complete() would have handed to JavaScript (never napi values).
  virtual ~Task() = default;
  // Off the JavaScript thread. Must not touch napi values.
  virtual void Execute() = 0;
  // On the JavaScript thread, once; the task is deleted after it returns.
  virtual void Complete(napi_env env) = 0;

  // Where it completes; set on the JavaScript thread when the task is created.
  CompletionPtr done;
};

// Module init: creates this environment's thread-safe function and stores it as instance data.
napi_status InitCompletion(napi_env env);
// JS thread: this environment's completion path.
CompletionPtr CompletionOf(napi_env env);
// JS thread: task->done is about to receive `task` (keeps the event loop alive until it completes).
void TaskStarted(napi_env env, Task* task);
// Any thread: hands a task whose Execute() is done back to its event loop.
void PostCompletion(Task* task);
// Any thread: queues a task that only completes (Execute() is not called), e.g. a deferred release.
void PostToLoop(Task* task);
// JS thread: runs a task on a thread of its own (loads, closes, profiles: few, long, and never behind runs).
void RunDetached(napi_env env, Task* task);

}  // namespace tfr
