#include "profiler.h"

#include <chrono>
#include <string>
#include <thread>

#include "completion.h"
#include "napi_util.h"
#include "tsl/profiler/lib/profiler_session.h"
#include "tsl/profiler/protobuf/profiler_options.pb.h"
#include "tsl/profiler/protobuf/xplane.pb.h"

namespace tfr {
namespace {

// TensorFlow's own code (absl::StatusCode has gRPC's numbering), e.g. a second capture while one is
// running is not an internal error.
Failure FailureOf(const absl::Status& status) {
  return {static_cast<int>(status.code()), std::string(status.message())};
}

class ProfileTask : public Task {
 public:
  ProfileTask(std::string opts, int64_t duration_ms, napi_ref stop_ref, const int32_t* stop, napi_deferred d)
      : opts_(std::move(opts)), duration_ms_(duration_ms), stop_ref_(stop_ref), stop_(stop), deferred_(d) {}

  void Execute() override {
    tensorflow::ProfileOptions options = tsl::ProfilerSession::DefaultOptions();
    if (!opts_.empty() && !options.ParseFromString(opts_)) {
      failure_ = {3, "ProfileOptions could not be parsed"};
      return;
    }
    std::unique_ptr<tsl::ProfilerSession> session = tsl::ProfilerSession::Create(options);
    absl::Status status = session->Status();
    if (!status.ok()) {
      failure_ = FailureOf(status);
      return;
    }
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(duration_ms_);
    while (std::chrono::steady_clock::now() < end) {
      // The JS side raises the flag on Terminate or when the client goes away.
      if (stop_ != nullptr && __atomic_load_n(stop_, __ATOMIC_ACQUIRE) != 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    tensorflow::profiler::XSpace space;
    status = session->CollectData(&space);
    if (!status.ok()) {
      failure_ = FailureOf(status);
      return;
    }
    empty_ = space.planes_size() == 0;
    space.SerializeToString(&xspace_);
  }

  void Complete(napi_env env) override {
    if (stop_ref_) napi_delete_reference(env, stop_ref_);
    if (failure_.code != 0) {
      napi_reject_deferred(env, deferred_, MakeError(env, failure_));
      return;
    }
    napi_value ab, view, result, empty;
    void* dst = nullptr;
    if (napi_create_arraybuffer(env, xspace_.size(), &dst, &ab) != napi_ok || (!xspace_.empty() && dst == nullptr)) {
      ClearPendingException(env);
      napi_reject_deferred(env, deferred_, MakeError(env, {8, "could not hand the trace to JavaScript"}));
      return;
    }
    if (!xspace_.empty()) memcpy(dst, xspace_.data(), xspace_.size());
    napi_create_typedarray(env, napi_uint8_array, xspace_.size(), ab, 0, &view);
    napi_get_boolean(env, empty_, &empty);
    napi_create_object(env, &result);
    SetProperty(env, result, "xspace", view);
    SetProperty(env, result, "empty", empty);
    napi_resolve_deferred(env, deferred_, result);
  }

 private:
  std::string opts_;
  int64_t duration_ms_;
  napi_ref stop_ref_;
  const int32_t* stop_;
  napi_deferred deferred_;
  Failure failure_{0, ""};
  bool empty_ = true;
  std::string xspace_;
};

}  // namespace

napi_value Profile(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  const uint8_t* opts = nullptr;
  size_t opts_len = 0;
  int64_t duration_ms = 0;
  if (argc < 2 || !GetBytes(env, argv[0], &opts, &opts_len) || !GetInt64(env, argv[1], &duration_ms)) {
    return Throw(env, {3, "profile(options, durationMs, stop?)"});
  }
  napi_ref stop_ref = nullptr;
  const int32_t* stop = nullptr;
  const uint8_t* stop_bytes = nullptr;
  size_t stop_len = 0;
  if (argc > 2 && GetBytes(env, argv[2], &stop_bytes, &stop_len) && stop_len >= 4) {
    napi_create_reference(env, argv[2], 1, &stop_ref);
    stop = reinterpret_cast<const int32_t*>(stop_bytes);
  }
  napi_deferred d;
  napi_value promise;
  napi_create_promise(env, &d, &promise);
  RunDetached(env, new ProfileTask(std::string(reinterpret_cast<const char*>(opts), opts_len), duration_ms, stop_ref, stop, d));
  return promise;
}

}  // namespace tfr
