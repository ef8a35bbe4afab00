// tf_runtime: the server's native layer over TensorFlow's C library (see src/runtime/tensorflow/).
#include <node_api.h>
#include <tensorflow/c/c_api.h>

#include <string>

#include "completion.h"
#include "napi_util.h"
#include "profiler.h"
#include "session.h"
#include "session_config.h"

namespace tfr {
namespace {

// loadLibrary(path) -> number of ops the library registered. Throws with TensorFlow's code.
napi_value LoadLibrary(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  std::string path;
  if (argc < 1 || !GetString(env, argv[0], &path)) return Throw(env, {TF_INVALID_ARGUMENT, "loadLibrary(path)"});
  TF_Status* st = TF_NewStatus();
  TF_Library* lib = TF_LoadLibrary(path.c_str(), st);
  if (TF_GetCode(st) != TF_OK) {
    Failure f{static_cast<int>(TF_GetCode(st)), TF_Message(st)};
    TF_DeleteStatus(st);
    return Throw(env, f);
  }
  TF_DeleteStatus(st);
  // The library stays loaded for the life of the process (its ops are registered globally); only
  // the handle is freed.
  TF_Buffer ops = TF_GetOpList(lib);
  napi_value n = Int(env, static_cast<int64_t>(ops.length));
  TF_DeleteLibraryHandle(lib);
  return n;
}

napi_value Version(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_string_utf8(env, TF_Version(), NAPI_AUTO_LENGTH, &v);
  return v;
}

void Export(napi_env env, napi_value exports, const char* name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f);
  napi_set_named_property(env, exports, name, f);
}

napi_value Init(napi_env env, napi_value exports) {
  if (InitCompletion(env) != napi_ok) return nullptr;
  Export(env, exports, "loadSavedModel", LoadSavedModel);
  Export(env, exports, "closeSession", CloseSession);
  Export(env, exports, "run", Run);
  Export(env, exports, "shareSession", ShareSession);
  Export(env, exports, "openSharedSession", OpenSharedSession);
  Export(env, exports, "configureRuns", ConfigureRuns);
  Export(env, exports, "stats", SessionStats);
  Export(env, exports, "loadLibrary", LoadLibrary);
  Export(env, exports, "profile", Profile);
  Export(env, exports, "version", Version);
  Export(env, exports, "parseConfigProto", ParseConfigProto);
  Export(env, exports, "disableXlaCompilation", DisableXla);
  return exports;
}

}  // namespace
}  // namespace tfr

NAPI_MODULE(NODE_GYP_MODULE_NAME, tfr::Init)
