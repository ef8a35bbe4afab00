#!/usr/bin/env bash
# Serves the bundled example model (half_plus_two, exported by real TensorFlow on first run) on gRPC
# port 8500 and REST port 8501, as `docker run -p 8500:8500 -p 8501:8501 -e MODEL_NAME=half_plus_two
# tensorflow/serving` would (PORT and REST_PORT choose others). Try it from another shell:
#   .venv/bin/python examples/half_plus_two/client.py
#   curl -d '{"instances": [1.0, 2.0, 5.0]}' localhost:8501/v1/models/half_plus_two:predict
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
models="$root/.cache/example-models"
TF_CPP_MIN_LOG_LEVEL=2 "$root/.venv/bin/python" "$root/examples/half_plus_two/export_model.py" "$models/half_plus_two"
echo "[example] serving half_plus_two on gRPC port ${PORT:-8500} and REST port ${REST_PORT:-8501}; try: .venv/bin/python examples/half_plus_two/client.py"
exec node "$root/dist/cli/main.js" --port="${PORT:-8500}" --rest_api_port="${REST_PORT:-8501}" --model_name=half_plus_two --model_base_path="$models/half_plus_two" "$@"
