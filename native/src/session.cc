#include "session.h"

#include <tensorflow/c/c_api.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "completion.h"
#include "napi_util.h"
#include "tensors.h"
#include "thread_pool.h"

namespace tfr {
namespace {

std::atomic<int64_t> live_sessions{0};
std::atomic<int64_t> live_runs{0};
// Never destroyed: at process exit a run may still be blocked inside TensorFlow (a queue, a slow
// kernel), and joining its thread would hang the exit.
ThreadPool* run_pool = nullptr;

ThreadPool& Pool() {
  if (!run_pool) run_pool = new ThreadPool(std::max(2u, std::thread::hardware_concurrency()));
  return *run_pool;
}

Failure FailureOf(TF_Status* st) { return {static_cast<int>(TF_GetCode(st)), TF_Message(st)}; }

// One loaded SavedModel. Runs hold a reference, so closing waits for the last of them.
struct SessionState {
  TF_Graph* graph;
  TF_Session* session;
  SessionState(TF_Graph* g, TF_Session* s) : graph(g), session(s) { ++live_sessions; }
  ~SessionState() {
    TF_Status* st = TF_NewStatus();
    TF_CloseSession(session, st);
    TF_DeleteSession(session, st);
    TF_DeleteStatus(st);
    TF_DeleteGraph(graph);
    --live_sessions;
  }
};
using SessionPtr = std::shared_ptr<SessionState>;

// What JavaScript holds: closing empties it, so later runs are refused.
struct SessionHandle {
  SessionPtr ptr;
};

void FinalizeHandle(napi_env, void* data, void*) { delete static_cast<SessionHandle*>(data); }

SessionHandle* HandleOf(napi_env env, napi_value v) {
  void* data = nullptr;
  if (napi_get_value_external(env, v, &data) != napi_ok) return nullptr;
  return static_cast<SessionHandle*>(data);
}

napi_value Settle(napi_env env, napi_deferred d, const Failure* f, napi_value value) {
  if (f) napi_reject_deferred(env, d, MakeError(env, *f));
  else napi_resolve_deferred(env, d, value);
  return nullptr;
}

// ---- load ----------------------------------------------------------------------------------------

class LoadTask : public Task {
 public:
  LoadTask(std::string dir, std::vector<std::string> tags, std::string config, napi_deferred d)
      : dir_(std::move(dir)), tags_(std::move(tags)), config_(std::move(config)), deferred_(d) {}

  void Execute() override {
    TF_Status* st = TF_NewStatus();
    TF_SessionOptions* opts = TF_NewSessionOptions();
    if (!config_.empty()) TF_SetConfig(opts, config_.data(), config_.size(), st);
    if (TF_GetCode(st) != TF_OK) {
      failure_ = {TF_INVALID_ARGUMENT, std::string("Invalid session config: ") + TF_Message(st)};
    } else {
      std::vector<const char*> tags;
      for (const auto& t : tags_) tags.push_back(t.c_str());
      TF_Buffer* meta = TF_NewBuffer();
      graph_ = TF_NewGraph();
      session_ = TF_LoadSessionFromSavedModel(opts, nullptr, dir_.c_str(), tags.data(), static_cast<int>(tags.size()),
                                              graph_, meta, st);
      if (TF_GetCode(st) != TF_OK) {
        failure_ = FailureOf(st);
        TF_DeleteGraph(graph_);
        graph_ = nullptr;
        session_ = nullptr;
      } else {
        meta_.assign(static_cast<const char*>(meta->data), meta->length);
      }
      TF_DeleteBuffer(meta);
    }
    TF_DeleteSessionOptions(opts);
    TF_DeleteStatus(st);
  }

  void Complete(napi_env env) override {
    if (failure_.code != TF_OK) {
      Settle(env, deferred_, &failure_, nullptr);
      return;
    }
    auto* handle = new SessionHandle{std::make_shared<SessionState>(graph_, session_)};
    napi_value result, external, meta_ab, meta;
    napi_create_external(env, handle, FinalizeHandle, nullptr, &external);
    void* dst;
    napi_create_arraybuffer(env, meta_.size(), &dst, &meta_ab);
    std::memcpy(dst, meta_.data(), meta_.size());
    napi_create_typedarray(env, napi_uint8_array, meta_.size(), meta_ab, 0, &meta);
    napi_create_object(env, &result);
    SetProperty(env, result, "session", external);
    SetProperty(env, result, "metaGraphDef", meta);
    Settle(env, deferred_, nullptr, result);
  }

 private:
  std::string dir_;
  std::vector<std::string> tags_;
  std::string config_;
  napi_deferred deferred_;
  Failure failure_{TF_OK, ""};
  TF_Graph* graph_ = nullptr;
  TF_Session* session_ = nullptr;
  std::string meta_;
};

// ---- close ---------------------------------------------------------------------------------------

class CloseTask : public Task {
 public:
  CloseTask(SessionPtr s, napi_deferred d) : session_(std::move(s)), deferred_(d) {}
  // Drops this reference off the JS thread; the session closes here unless a run still holds it.
  void Execute() override { session_.reset(); }
  void Complete(napi_env env) override {
    napi_value undef;
    napi_get_undefined(env, &undef);
    Settle(env, deferred_, nullptr, undef);
  }

 private:
  SessionPtr session_;
  napi_deferred deferred_;
};

// ---- run -----------------------------------------------------------------------------------------

class RunTask : public Task {
 public:
  RunTask(SessionPtr s, napi_deferred d) : session_(std::move(s)), deferred_(d) { ++live_runs; }
  ~RunTask() override { --live_runs; }

  std::vector<TF_Output> inputs, outputs;
  std::vector<TF_Tensor*> input_values;
  std::vector<InputHold*> holds;
  // A client that left (flag raised by JS) or a deadline that passed while the run waited for a
  // pool thread: the run never starts.
  napi_ref cancel_ref = nullptr;
  const int32_t* cancel = nullptr;
  double deadline_ms = 0;

  void Execute() override {
    if (Skipped()) {
      for (TF_Tensor* t : input_values) TF_DeleteTensor(t);
      input_values.clear();
      output_values_.assign(outputs.size(), nullptr);
      return;
    }
    std::vector<TF_Tensor*> out(outputs.size(), nullptr);
    TF_Status* st = TF_NewStatus();
    TF_SessionRun(session_->session, nullptr, inputs.data(), input_values.data(), static_cast<int>(inputs.size()),
                  outputs.data(), out.data(), static_cast<int>(outputs.size()), nullptr, 0, nullptr, st);
    if (TF_GetCode(st) != TF_OK) failure_ = FailureOf(st);
    TF_DeleteStatus(st);
    for (TF_Tensor* t : input_values) TF_DeleteTensor(t);
    input_values.clear();
    output_values_ = std::move(out);
  }

  void Complete(napi_env env) override {
    if (cancel_ref) napi_delete_reference(env, cancel_ref);
    std::vector<ByteRange> ranges;
    for (InputHold* h : holds) ranges.emplace_back(h->begin, h->len);
    napi_value result;
    napi_create_array_with_length(env, output_values_.size(), &result);
    for (size_t i = 0; i < output_values_.size(); ++i) {
      TF_Tensor* t = output_values_[i];
      output_values_[i] = nullptr;
      if (t == nullptr) continue;
      napi_value o;
      if (failure_.code != TF_OK) {
        TF_DeleteTensor(t);
      } else if (ReadOutput(env, t, ranges, &o, &failure_)) {
        napi_set_element(env, result, i, o);
      }
    }
    for (InputHold* h : holds) FinishHold(env, h);
    holds.clear();
    Settle(env, deferred_, failure_.code == TF_OK ? nullptr : &failure_, result);
  }

  // Frees what was built before a run that never reaches the pool.
  void Abandon(napi_env env) {
    if (cancel_ref) napi_delete_reference(env, cancel_ref);
    cancel_ref = nullptr;
    for (TF_Tensor* t : input_values) TF_DeleteTensor(t);
    input_values.clear();
    for (InputHold* h : holds) FinishHold(env, h);
    holds.clear();
  }

 private:
  bool Skipped() {
    if (cancel != nullptr && __atomic_load_n(cancel, __ATOMIC_ACQUIRE) != 0) {
      failure_ = {TF_CANCELLED, "Request was cancelled"};
      return true;
    }
    if (deadline_ms > 0) {
      double now = std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
      if (now >= deadline_ms) {
        failure_ = {TF_DEADLINE_EXCEEDED, "Deadline Exceeded"};
        return true;
      }
    }
    return false;
  }

  SessionPtr session_;
  napi_deferred deferred_;
  Failure failure_{TF_OK, ""};
  std::vector<TF_Tensor*> output_values_;
};

// "op:1" -> (op, 1); "op" -> (op, 0).
bool ResolveOutput(TF_Graph* graph, const std::string& name, TF_Output* out) {
  std::string op = name;
  int index = 0;
  size_t colon = name.rfind(':');
  if (colon != std::string::npos && colon + 1 < name.size() &&
      name.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
    op = name.substr(0, colon);
    index = std::stoi(name.substr(colon + 1));
  }
  TF_Operation* oper = TF_GraphOperationByName(graph, op.c_str());
  if (oper == nullptr || index >= TF_OperationNumOutputs(oper)) return false;
  *out = {oper, index};
  return true;
}

Failure NotInGraph(const std::string& name) {
  return {TF_INVALID_ARGUMENT,
          "Tensor " + name + ", specified in either feed_devices or fetch_devices was not found in the Graph"};
}

}  // namespace

// loadSavedModel(dir, tags[], config?: Uint8Array) -> Promise<{session, metaGraphDef}>
napi_value LoadSavedModel(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  std::string dir, config;
  std::vector<std::string> tags;
  if (argc < 2 || !GetString(env, argv[0], &dir) || !GetStringArray(env, argv[1], &tags)) {
    return Throw(env, {TF_INVALID_ARGUMENT, "loadSavedModel(dir, tags, config?)"});
  }
  const uint8_t* cfg = nullptr;
  size_t cfg_len = 0;
  if (argc > 2 && GetBytes(env, argv[2], &cfg, &cfg_len)) config.assign(reinterpret_cast<const char*>(cfg), cfg_len);
  napi_deferred d;
  napi_value promise;
  napi_create_promise(env, &d, &promise);
  RunDetached(new LoadTask(std::move(dir), std::move(tags), std::move(config), d));
  return promise;
}

// closeSession(session) -> Promise<void>; runs already started finish first.
napi_value CloseSession(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  SessionHandle* h = argc > 0 ? HandleOf(env, argv[0]) : nullptr;
  if (h == nullptr) return Throw(env, {TF_INVALID_ARGUMENT, "closeSession(session)"});
  napi_deferred d;
  napi_value promise;
  napi_create_promise(env, &d, &promise);
  RunDetached(new CloseTask(std::move(h->ptr), d));
  return promise;
}

// run(session, feeds[], feedNames[], fetchNames[], control?: {cancel?: Int32Array, deadlineMs?: number})
//   -> Promise<outputs[]>
napi_value Run(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  SessionHandle* h = argc >= 4 ? HandleOf(env, argv[0]) : nullptr;
  std::vector<std::string> feed_names, fetch_names;
  uint32_t nfeeds = 0;
  if (h == nullptr || !GetStringArray(env, argv[2], &feed_names) || !GetStringArray(env, argv[3], &fetch_names) ||
      napi_get_array_length(env, argv[1], &nfeeds) != napi_ok || nfeeds != feed_names.size()) {
    return Throw(env, {TF_INVALID_ARGUMENT, "run(session, feeds, feedNames, fetchNames)"});
  }
  if (!h->ptr) return Throw(env, {TF_FAILED_PRECONDITION, "Session was closed"});
  napi_deferred d;
  napi_value promise;
  napi_create_promise(env, &d, &promise);
  auto* task = new RunTask(h->ptr, d);
  if (argc > 4) {
    napi_valuetype type;
    napi_typeof(env, argv[4], &type);
    if (type == napi_object) {
      napi_value cancel = GetProperty(env, argv[4], "cancel");
      const uint8_t* bytes;
      size_t len;
      if (cancel != nullptr && GetBytes(env, cancel, &bytes, &len) && len >= 4) {
        napi_create_reference(env, cancel, 1, &task->cancel_ref);
        task->cancel = reinterpret_cast<const int32_t*>(bytes);
      }
      napi_value deadline = GetProperty(env, argv[4], "deadlineMs");
      if (deadline != nullptr) napi_get_value_double(env, deadline, &task->deadline_ms);
    }
  }
  Failure failure{TF_OK, ""};
  TF_Graph* graph = h->ptr->graph;
  for (const auto& name : feed_names) {
    TF_Output o;
    if (!ResolveOutput(graph, name, &o)) {
      failure = NotInGraph(name);
      break;
    }
    task->inputs.push_back(o);
  }
  for (const auto& name : fetch_names) {
    if (failure.code != TF_OK) break;
    TF_Output o;
    if (!ResolveOutput(graph, name, &o)) {
      failure = NotInGraph(name);
      break;
    }
    task->outputs.push_back(o);
  }
  for (uint32_t i = 0; i < nfeeds && failure.code == TF_OK; ++i) {
    napi_value spec;
    napi_get_element(env, argv[1], i, &spec);
    TF_Tensor* t;
    InputHold* hold;
    if (!MakeInput(env, spec, &t, &hold, &failure)) break;
    task->input_values.push_back(t);
    if (hold) task->holds.push_back(hold);
  }
  if (failure.code != TF_OK) {
    task->Abandon(env);
    delete task;
    napi_reject_deferred(env, d, MakeError(env, failure));
    return promise;
  }
  Pool().Submit(task);
  return promise;
}

// configureRuns(threads): sizes the run pool; only before the first run.
napi_value ConfigureRuns(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int64_t n = 0;
  if (argc < 1 || !GetInt64(env, argv[0], &n) || n < 1) return Throw(env, {TF_INVALID_ARGUMENT, "configureRuns(threads >= 1)"});
  if (run_pool) return Throw(env, {TF_FAILED_PRECONDITION, "the run pool is already running"});
  run_pool = new ThreadPool(static_cast<int>(n));
  return nullptr;
}

napi_value SessionStats(napi_env env, napi_callback_info) {
  napi_value o;
  napi_create_object(env, &o);
  SetProperty(env, o, "sessions", Int(env, live_sessions.load()));
  SetProperty(env, o, "runs", Int(env, live_runs.load()));
  SetProperty(env, o, "queuedRuns", Int(env, run_pool ? run_pool->queued() : 0));
  SetProperty(env, o, "runThreads", Int(env, run_pool ? run_pool->size() : 0));
  return o;
}

}  // namespace tfr
