// Descriptor passing for the network allowlist: see descriptor_passing.cc.
#pragma once
#include <napi.h>

void RegisterDescriptorPassing(Napi::Env env, Napi::Object exports);
