{
  "targets": [
    {
      "target_name": "logseal_aead",
      "sources": ["aead.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_c": ["-std=gnu11", "-O2"],
      "xcode_settings": { "OTHER_CFLAGS": ["-std=gnu11", "-O2"] }
    }
  ]
}
