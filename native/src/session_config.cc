#include "session_config.h"

#include <cstring>
#include <string>

#include "napi_util.h"
#include "tensorflow/core/protobuf/config.pb.h"
#include "tensorflow/core/util/proto/proto_utils.h"

namespace tensorflow {
void DisableXlaCompilation();
}

namespace tfr {

napi_value ParseConfigProto(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  std::string text;
  if (argc < 1 || !GetString(env, argv[0], &text)) return Throw(env, {3, "parseConfigProto(text)"});
  tensorflow::ConfigProto config;
  absl::Status status = tensorflow::proto_utils::ParseTextFormatFromString(text, &config);
  if (!status.ok()) return Throw(env, {static_cast<int>(status.code()), std::string(status.message())});
  std::string bytes;
  config.SerializeToString(&bytes);
  void* dst;
  napi_value ab, view;
  napi_create_arraybuffer(env, bytes.size(), &dst, &ab);
  if (!bytes.empty()) std::memcpy(dst, bytes.data(), bytes.size());
  napi_create_typedarray(env, napi_uint8_array, bytes.size(), ab, 0, &view);
  return view;
}

napi_value DisableXla(napi_env env, napi_callback_info) {
  tensorflow::DisableXlaCompilation();
  return nullptr;
}

}  // namespace tfr
