// SavedModel sessions: load (on a thread of its own), concurrent runs (on the run pool), close
// (once the last run on the session has finished).
#pragma once
#include <node_api.h>

namespace tfr {

napi_value LoadSavedModel(napi_env env, napi_callback_info info);
napi_value CloseSession(napi_env env, napi_callback_info info);
napi_value Run(napi_env env, napi_callback_info info);
// Process-wide sessions: one environment shares a session it loaded, others open it by id.
napi_value ShareSession(napi_env env, napi_callback_info info);
napi_value OpenSharedSession(napi_env env, napi_callback_info info);
napi_value ConfigureRuns(napi_env env, napi_callback_info info);
napi_value SessionStats(napi_env env, napi_callback_info info);

}  // namespace tfr
