#include "session.h"

#include <tensorflow/c/c_api.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "completion.h"
#include "napi_util.h"
#include "tensors.h"
#include "thread_pool.h"

namespace tfr {
namespace {

// More run threads than this is a configuration mistake, not a workload (each is a blocked run).
constexpr int64_t kMaxRunThreads = 1024;

std::atomic<int64_t> live_sessions{0};
std::atomic<int64_t> live_runs{0};
// Process-wide, shared by every environment. Never destroyed: at process exit a run may still be
// blocked inside TensorFlow (a queue, a slow kernel), and joining its thread would hang the exit.
std::mutex pool_mu;
ThreadPool* run_pool = nullptr;

ThreadPool& Pool() {
  std::lock_guard<std::mutex> lock(pool_mu);
  if (!run_pool) run_pool = new ThreadPool(std::max(2u, std::thread::hardware_concurrency()));
  return *run_pool;
}

Failure FailureOf(TF_Status* st) { return {static_cast<int>(TF_GetCode(st)), TF_Message(st)}; }

// Marks session handles, so that no other external (a TFLite model's, another addon's) is ever
// taken for one. Type tags on externals need Node 20 (package.json engines).
const napi_type_tag kSessionTag = {0x6a1f0c2d93b84e57ULL, 0xb2c5e8f1074d3a96ULL};

// One loaded SavedModel, shared by every environment that holds a handle on it (the main thread that
// loaded it, worker threads that opened it by id). Closing it, from any environment, refuses new runs
// everywhere, waits for the runs already started, then frees TensorFlow's session; the small object
// itself lives on until its last handle and run let go of it.
struct SessionState {
  TF_Graph* graph;
  TF_Session* session;
  int64_t shared_id = 0;  // 0 until shareSession() gives it one

  SessionState(TF_Graph* g, TF_Session* s) : graph(g), session(s) { ++live_sessions; }
  ~SessionState() { Free(); }

  // Any thread: admits a run unless the session is closed.
  bool TryStartRun() {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return false;
    ++runs_;
    return true;
  }
  // A run's last touch of the session (its task is being deleted).
  void RunEnded() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--runs_ == 0) idle_.notify_all();
  }
  bool Closed() {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }
  // Off the JS thread: no new runs, wait for the started ones, free TensorFlow's session. Idempotent.
  void Close() {
    {
      std::unique_lock<std::mutex> lock(mu_);
      closed_ = true;
      idle_.wait(lock, [this] { return runs_ == 0; });
    }
    Free();
  }

 private:
  void Free() {
    std::lock_guard<std::mutex> lock(free_mu_);
    if (session == nullptr) return;
    TF_Status* st = TF_NewStatus();
    TF_CloseSession(session, st);
    TF_DeleteSession(session, st);
    TF_DeleteStatus(st);
    TF_DeleteGraph(graph);
    session = nullptr;
    graph = nullptr;
    --live_sessions;
  }
  std::mutex mu_;
  std::condition_variable idle_;
  int runs_ = 0;
  bool closed_ = false;
  std::mutex free_mu_;
};
using SessionPtr = std::shared_ptr<SessionState>;

// Sessions any environment may open by id (shareSession / openSharedSession). Weak: the registry
// never keeps a session alive; closing one removes it.
std::mutex registry_mu;
std::unordered_map<int64_t, std::weak_ptr<SessionState>> shared_sessions;
int64_t next_shared_id = 1;

void Unshare(SessionState* s) {
  std::lock_guard<std::mutex> lock(registry_mu);
  if (s->shared_id != 0) shared_sessions.erase(s->shared_id);
}

// What one environment holds: closing empties it, so later runs through it are refused at once.
struct SessionHandle {
  SessionPtr state;
};

// Only drops this environment's reference; a session nobody closed is freed with its last reference.
void FinalizeHandle(napi_env, void* data, void*) { delete static_cast<SessionHandle*>(data); }

SessionHandle* HandleOf(napi_env env, napi_value v) {
  bool tagged = false;
  if (v == nullptr || napi_check_object_type_tag(env, v, &kSessionTag, &tagged) != napi_ok || !tagged) return nullptr;
  void* data = nullptr;
  if (napi_get_value_external(env, v, &data) != napi_ok) return nullptr;
  return static_cast<SessionHandle*>(data);
}

// A tagged external holding `state`, or nullptr (with the reason in *err).
napi_value MakeHandle(napi_env env, SessionPtr state, Failure* err) {
  auto* handle = new SessionHandle{std::move(state)};
  napi_value external;
  if (napi_create_external(env, handle, FinalizeHandle, nullptr, &external) != napi_ok) {
    delete handle;
    ClearPendingException(env);
    *err = {TF_INTERNAL, "could not create a session handle"};
    return nullptr;
  }
  if (napi_type_tag_object(env, external, &kSessionTag) != napi_ok) {
    ClearPendingException(env);
    *err = {TF_INTERNAL, "could not type-tag the session handle (Node 20 or later is needed)"};
    return nullptr;  // the finalizer drops the reference
  }
  return external;
}

// The handle a one-argument call (closeSession, shareSession) was given, or nullptr.
SessionHandle* SessionArgument(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  return argc > 0 ? HandleOf(env, argv[0]) : nullptr;
}

napi_value Settle(napi_env env, napi_deferred d, const Failure* f, napi_value value) {
  if (f) napi_reject_deferred(env, d, MakeError(env, *f));
  else napi_resolve_deferred(env, d, value);
  return nullptr;
}

void FinalizeString(napi_env env, void*, void* hint) {
  auto* s = static_cast<std::string*>(hint);
  int64_t ignored;
  napi_adjust_external_memory(env, -static_cast<int64_t>(s->size()), &ignored);
  delete s;
}

// ---- load ----------------------------------------------------------------------------------------

class LoadTask : public Task {
 public:
  LoadTask(std::string dir, std::vector<std::string> tags, std::string config, bool want_meta, napi_deferred d)
      : dir_(std::move(dir)), tags_(std::move(tags)), config_(std::move(config)), want_meta_(want_meta), deferred_(d) {}
  ~LoadTask() override { delete meta_; }

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
      TF_Graph* graph = TF_NewGraph();
      TF_Session* session = TF_LoadSessionFromSavedModel(opts, nullptr, dir_.c_str(), tags.data(),
                                                         static_cast<int>(tags.size()), graph, meta, st);
      if (TF_GetCode(st) != TF_OK) {
        failure_ = FailureOf(st);
        TF_DeleteGraph(graph);
      } else {
        state_ = std::make_shared<SessionState>(graph, session);
        if (want_meta_) meta_ = new std::string(static_cast<const char*>(meta->data), meta->length);
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
    napi_value result;
    napi_value external = MakeHandle(env, std::move(state_), &failure_);
    if (external == nullptr) {
      Settle(env, deferred_, &failure_, nullptr);
      return;
    }
    napi_create_object(env, &result);
    SetProperty(env, result, "session", external);
    if (meta_) {
      // Handed over without a copy; JavaScript reads the signatures and drops it.
      napi_value ab, view;
      if (napi_create_external_arraybuffer(env, meta_->data(), meta_->size(), FinalizeString, meta_, &ab) == napi_ok) {
        int64_t ignored;
        napi_adjust_external_memory(env, static_cast<int64_t>(meta_->size()), &ignored);
        meta_ = nullptr;
      } else {
        ClearPendingException(env);
        void* dst = nullptr;
        if (napi_create_arraybuffer(env, meta_->size(), &dst, &ab) != napi_ok) {
          ClearPendingException(env);
          failure_ = {TF_RESOURCE_EXHAUSTED, "could not hand the MetaGraphDef to JavaScript"};
          Settle(env, deferred_, &failure_, nullptr);
          return;  // the handle's finalizer frees the session
        }
        std::memcpy(dst, meta_->data(), meta_->size());
      }
      size_t len;
      napi_get_arraybuffer_info(env, ab, nullptr, &len);
      napi_create_typedarray(env, napi_uint8_array, len, ab, 0, &view);
      SetProperty(env, result, "metaGraphDef", view);
    }
    Settle(env, deferred_, nullptr, result);
  }

 private:
  std::string dir_;
  std::vector<std::string> tags_;
  std::string config_;
  bool want_meta_;
  napi_deferred deferred_;
  Failure failure_{TF_OK, ""};
  SessionPtr state_;
  std::string* meta_ = nullptr;
};

// ---- close ---------------------------------------------------------------------------------------

class CloseTask : public Task {
 public:
  CloseTask(SessionPtr s, napi_deferred d) : state_(std::move(s)), deferred_(d) {}
  // Waits for the runs already started (in any environment), then frees the session here.
  void Execute() override {
    Unshare(state_.get());
    state_->Close();
    state_.reset();
  }
  void Complete(napi_env env) override {
    napi_value undef;
    napi_get_undefined(env, &undef);
    Settle(env, deferred_, nullptr, undef);
  }

 private:
  SessionPtr state_;
  napi_deferred deferred_;
};

// ---- run -----------------------------------------------------------------------------------------

// A serialized tensorflow.RunOptions with only timeout_in_ms (field 2, varint), so TensorFlow itself
// cancels a run that outlives its deadline (a blocked queue, a slow kernel) and the thread returns.
std::string RunOptionsWithTimeout(int64_t ms) {
  std::string out(1, static_cast<char>((2 << 3) | 0));
  auto v = static_cast<uint64_t>(ms);
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out.push_back(static_cast<char>(v ? b | 0x80 : b));
  } while (v);
  return out;
}

class RunTask : public Task {
 public:
  RunTask(SessionPtr s, napi_deferred d) : session_(std::move(s)), deferred_(d) { ++live_runs; }
  ~RunTask() override {
    // Holds still here belong to a run that never completed (teardown) or never started.
    for (Feed& f : feeds) {
      if (f.hold) AbandonHold(f.hold);
    }
    // Last, after Complete() settled the run's promise: a close waiting for this run resolves after it.
    if (submitted_) session_->RunEnded();
    --live_runs;
  }

  // JS thread, before anything reads the session: from now on a close waits for this run, unless
  // the session was closed already (possibly from another environment).
  bool Submitted() {
    submitted_ = session_->TryStartRun();
    return submitted_;
  }

  std::vector<TF_Output> inputs, outputs;
  std::vector<Feed> feeds;
  // A client that left (flag raised by JS) or a deadline that passed while the run waited for a
  // pool thread: the run never starts. A deadline also bounds the run inside TensorFlow.
  napi_ref cancel_ref = nullptr;
  const int32_t* cancel = nullptr;
  double deadline_ms = 0;

  // Everything that grows with the tensors happens here: building inputs (string packing, alignment
  // copies), the run, and preparing outputs.
  void Execute() override {
    std::vector<TF_Tensor*> in;
    std::vector<TF_Tensor*> out(outputs.size(), nullptr);
    if (!Skipped()) {
      for (Feed& f : feeds) {
        TF_Tensor* t;
        if (!BuildInput(&f, &t, &failure_)) break;
        in.push_back(t);
      }
      if (failure_.code == TF_OK) {
        std::string options = timeout_ms_ > 0 ? RunOptionsWithTimeout(timeout_ms_) : std::string();
        TF_Buffer run_options{options.data(), options.size(), nullptr};
        TF_Status* st = TF_NewStatus();
        TF_SessionRun(session_->session, options.empty() ? nullptr : &run_options, inputs.data(), in.data(),
                      static_cast<int>(inputs.size()), outputs.data(), out.data(), static_cast<int>(outputs.size()),
                      nullptr, 0, nullptr, st);
        if (TF_GetCode(st) != TF_OK) failure_ = FailureOf(st);
        TF_DeleteStatus(st);
      }
    }
    for (TF_Tensor* t : in) TF_DeleteTensor(t);
    fetched_.resize(out.size());
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i] == nullptr) continue;
      if (failure_.code != TF_OK) {
        TF_DeleteTensor(out[i]);
        continue;
      }
      fetched_[i] = std::make_unique<Fetched>();
      PrepareOutput(out[i], fetched_[i].get(), &failure_);
    }
  }

  void Complete(napi_env env) override {
    if (cancel_ref) napi_delete_reference(env, cancel_ref);
    cancel_ref = nullptr;
    for (Feed& f : feeds) {
      if (f.hold) FinishHold(env, f.hold);
      f.hold = nullptr;
    }
    napi_value result;
    napi_create_array_with_length(env, fetched_.size(), &result);
    for (size_t i = 0; i < fetched_.size() && failure_.code == TF_OK; ++i) {
      napi_value o;
      if (fetched_[i] && OutputToJs(env, fetched_[i].get(), &o, &failure_)) napi_set_element(env, result, i, o);
    }
    Settle(env, deferred_, failure_.code == TF_OK ? nullptr : &failure_, result);
  }

  // JS thread: frees what was gathered for a run that never reaches the pool.
  void Abandon(napi_env env) {
    if (cancel_ref) napi_delete_reference(env, cancel_ref);
    cancel_ref = nullptr;
    for (Feed& f : feeds) {
      if (f.hold) FinishHold(env, f.hold);
      f.hold = nullptr;
    }
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
      timeout_ms_ = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(deadline_ms - now)));
    }
    return false;
  }

  SessionPtr session_;
  bool submitted_ = false;
  napi_deferred deferred_;
  Failure failure_{TF_OK, ""};
  int64_t timeout_ms_ = 0;
  std::vector<std::unique_ptr<Fetched>> fetched_;
};

// "op:1" -> (op, 1); "op" -> (op, 0). An index no op can have (or one past INT_MAX, which std::stoi
// would throw on, out of an N-API callback) is simply not in the graph.
bool ResolveOutput(TF_Graph* graph, const std::string& name, TF_Output* out) {
  std::string op = name;
  int index = 0;
  size_t colon = name.rfind(':');
  if (colon != std::string::npos && colon + 1 < name.size() &&
      name.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
    if (name.size() - colon - 1 > 9) return false;
    op = name.substr(0, colon);
    index = std::atoi(name.c_str() + colon + 1);
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

// loadSavedModel(dir, tags[], config?: Uint8Array, wantMetaGraphDef?: boolean)
//   -> Promise<{session, metaGraphDef?: Uint8Array}>
napi_value LoadSavedModel(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  std::string dir, config;
  std::vector<std::string> tags;
  if (argc < 2 || !GetString(env, argv[0], &dir) || !GetStringArray(env, argv[1], &tags)) {
    return Throw(env, {TF_INVALID_ARGUMENT, "loadSavedModel(dir, tags, config?, wantMetaGraphDef?)"});
  }
  const uint8_t* cfg = nullptr;
  size_t cfg_len = 0;
  if (argc > 2 && GetBytes(env, argv[2], &cfg, &cfg_len)) config.assign(reinterpret_cast<const char*>(cfg), cfg_len);
  bool want_meta = false;
  if (argc > 3) napi_get_value_bool(env, argv[3], &want_meta);
  napi_deferred d;
  napi_value promise;
  napi_create_promise(env, &d, &promise);
  RunDetached(env, new LoadTask(std::move(dir), std::move(tags), std::move(config), want_meta, d));
  return promise;
}

// closeSession(session) -> Promise<void>: resolves once the session is freed, after the runs
// already started have finished.
napi_value CloseSession(napi_env env, napi_callback_info info) {
  SessionHandle* h = SessionArgument(env, info);
  if (h == nullptr) return Throw(env, {TF_INVALID_ARGUMENT, "closeSession(session): not a session"});
  napi_deferred d;
  napi_value promise;
  napi_create_promise(env, &d, &promise);
  SessionPtr s = std::move(h->state);
  if (s == nullptr) {
    napi_value undef;
    napi_get_undefined(env, &undef);
    napi_resolve_deferred(env, d, undef);
    return promise;
  }
  RunDetached(env, new CloseTask(std::move(s), d));
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
  if (!h->state || h->state->Closed()) return Throw(env, {TF_FAILED_PRECONDITION, "Session was closed"});
  napi_deferred d;
  napi_value promise;
  napi_create_promise(env, &d, &promise);
  auto* task = new RunTask(h->state, d);
  // Admitted first: from here a close (from any environment) waits for this run, so the graph read
  // below and the run itself never meet a freed session.
  if (!task->Submitted()) {
    delete task;
    napi_reject_deferred(env, d, MakeError(env, {TF_FAILED_PRECONDITION, "Session was closed"}));
    return promise;
  }
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
      double ms = 0;
      if (deadline != nullptr && napi_get_value_double(env, deadline, &ms) == napi_ok && std::isfinite(ms)) {
        task->deadline_ms = ms;
      }
    }
  }
  Failure failure{TF_OK, ""};
  TF_Graph* graph = h->state->graph;
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
  task->feeds.resize(failure.code == TF_OK ? nfeeds : 0);
  for (uint32_t i = 0; i < task->feeds.size(); ++i) {
    napi_value spec;
    napi_get_element(env, argv[1], i, &spec);
    if (!ReadFeed(env, spec, &task->feeds[i], &failure)) break;
  }
  if (failure.code != TF_OK) {
    task->Abandon(env);
    delete task;
    napi_reject_deferred(env, d, MakeError(env, failure));
    return promise;
  }
  Pool().Submit(env, task);
  return promise;
}

// shareSession(session) -> id: lets any environment (a worker thread) open this session by id, until
// it is closed. The same id every time.
napi_value ShareSession(napi_env env, napi_callback_info info) {
  SessionHandle* h = SessionArgument(env, info);
  if (h == nullptr) return Throw(env, {TF_INVALID_ARGUMENT, "shareSession(session): not a session"});
  if (!h->state || h->state->Closed()) return Throw(env, {TF_FAILED_PRECONDITION, "Session was closed"});
  std::lock_guard<std::mutex> lock(registry_mu);
  if (h->state->shared_id == 0) {
    h->state->shared_id = next_shared_id++;
    shared_sessions[h->state->shared_id] = h->state;
  }
  return Int(env, h->state->shared_id);
}

// openSharedSession(id) -> session: a handle in this environment on a session another one loaded.
napi_value OpenSharedSession(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int64_t id = 0;
  if (argc < 1 || !GetInt64(env, argv[0], &id)) return Throw(env, {TF_INVALID_ARGUMENT, "openSharedSession(id)"});
  SessionPtr state;
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    auto it = shared_sessions.find(id);
    if (it != shared_sessions.end()) state = it->second.lock();
  }
  if (!state || state->Closed()) {
    return Throw(env, {TF_NOT_FOUND, "No open session with id " + std::to_string(id) + " (closed, or never shared)"});
  }
  Failure err{TF_OK, ""};
  napi_value handle = MakeHandle(env, std::move(state), &err);
  return handle != nullptr ? handle : Throw(env, err);
}

// configureRuns(threads): sizes the run pool (1..1024); only before the first run.
napi_value ConfigureRuns(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int64_t n = 0;
  if (argc < 1 || !GetInt64(env, argv[0], &n) || n < 1 || n > kMaxRunThreads) {
    return Throw(env, {TF_INVALID_ARGUMENT, "configureRuns(threads): threads must be 1 to " + std::to_string(kMaxRunThreads)});
  }
  std::lock_guard<std::mutex> lock(pool_mu);
  if (run_pool) return Throw(env, {TF_FAILED_PRECONDITION, "the run pool is already running"});
  run_pool = new ThreadPool(static_cast<int>(n));
  return nullptr;
}

napi_value SessionStats(napi_env env, napi_callback_info) {
  napi_value o;
  napi_create_object(env, &o);
  SetProperty(env, o, "sessions", Int(env, live_sessions.load()));
  SetProperty(env, o, "runs", Int(env, live_runs.load()));
  std::lock_guard<std::mutex> lock(pool_mu);
  SetProperty(env, o, "queuedRuns", Int(env, run_pool ? run_pool->queued() : 0));
  SetProperty(env, o, "runThreads", Int(env, run_pool ? run_pool->size() : 0));
  return o;
}

}  // namespace tfr
