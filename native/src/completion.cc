#include "completion.h"

#include <atomic>
#include <thread>

namespace tfr {
namespace {

napi_threadsafe_function tsfn = nullptr;
napi_env loop_env = nullptr;
// Tasks started and not yet completed; only the JS thread reads or writes it.
int in_flight = 0;

struct Envelope {
  Task* task;
  bool counted;
};

void CallJs(napi_env env, napi_value, void*, void* data) {
  auto* e = static_cast<Envelope*>(data);
  if (env != nullptr) e->task->Complete(env);
  delete e->task;
  if (e->counted && --in_flight == 0 && env != nullptr) napi_unref_threadsafe_function(env, tsfn);
  delete e;
}

void Post(Task* task, bool counted) {
  napi_call_threadsafe_function(tsfn, new Envelope{task, counted}, napi_tsfn_nonblocking);
}

}  // namespace

napi_status InitCompletion(napi_env env) {
  loop_env = env;
  napi_value name;
  napi_create_string_utf8(env, "tf_runtime_completion", NAPI_AUTO_LENGTH, &name);
  napi_status s = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, nullptr,
                                                  CallJs, &tsfn);
  if (s != napi_ok) return s;
  // Idle, the runtime must not keep the process alive.
  return napi_unref_threadsafe_function(env, tsfn);
}

void TaskStarted() {
  if (in_flight++ == 0) napi_ref_threadsafe_function(loop_env, tsfn);
}

void PostCompletion(Task* task) { Post(task, true); }

void PostToLoop(Task* task) { Post(task, false); }

void RunDetached(Task* task) {
  TaskStarted();
  std::thread([task] {
    task->Execute();
    PostCompletion(task);
  }).detach();
}

}  // namespace tfr
