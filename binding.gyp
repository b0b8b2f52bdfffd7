{
  "targets": [
    {
      "target_name": "samplify_native",
      "sources": ["native/samplify.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=x86-64-v2", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off"],
      "libraries": ["-lopenblas"]
    }
  ]
}
