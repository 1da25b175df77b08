// cordon_seccomp: compile a declarative seccomp spec into classic-BPF bytes.
//
// This file only BUILDS BYTES. It never loads a filter, never calls prctl, never execs and
// keeps no global state: every call creates its own libseccomp context and releases it.
// WHICH syscalls are denied is data in src/backends/linux/seccomp-rules.ts; the shape of
// the spec is documented (and typed) in src/native/seccomp.ts.
//
// Exports:
//   compile(spec) -> Uint8Array     the filter, ready for `bwrap --seccomp FD`
//   libseccompVersion() -> { major, minor, micro }   of the statically linked libseccomp
//   socketPair(), receiveDescriptor(fd, cb)           see descriptor_passing.cc (network allowlist)

#include <napi.h>
#include <seccomp.h>

#include "descriptor_passing.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

// ---- small RAII holders ------------------------------------------------------------------

class FilterContext {
 public:
  explicit FilterContext(uint32_t default_action) : ctx_(seccomp_init(default_action)) {}
  ~FilterContext() {
    if (ctx_ != nullptr) seccomp_release(ctx_);
  }
  FilterContext(const FilterContext&) = delete;
  FilterContext& operator=(const FilterContext&) = delete;
  scmp_filter_ctx get() const { return ctx_; }

 private:
  scmp_filter_ctx ctx_;
};

class OwnedFd {
 public:
  explicit OwnedFd(int fd) : fd_(fd) {}
  ~OwnedFd() {
    if (fd_ >= 0) close(fd_);
  }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// ---- spec parsing: every malformed input is a TypeError naming the offending path ---------

[[noreturn]] void ThrowType(Napi::Env env, const std::string& path, const std::string& what) {
  throw Napi::TypeError::New(env, "invalid seccomp spec: " + path + " " + what);
}

std::string LibError(int rc) { return std::string(std::strerror(rc < 0 ? -rc : rc)); }

uint64_t ParseUint(Napi::Env env, const Napi::Value& v, const std::string& path) {
  if (!v.IsNumber()) ThrowType(env, path, "must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  // 2^53 - 1: larger numbers are not exact in JavaScript, so refuse them rather than round.
  if (!(d >= 0) || d > 9007199254740991.0 || std::floor(d) != d) {
    ThrowType(env, path, "must be a non-negative safe integer");
  }
  return static_cast<uint64_t>(d);
}

std::string ParseString(Napi::Env env, const Napi::Value& v, const std::string& path) {
  if (!v.IsString()) ThrowType(env, path, "must be a string");
  return v.As<Napi::String>().Utf8Value();
}

// An action is 'allow' | 'kill_process' | { type: 'allow' | 'kill_process' }
// | { type: 'errno', errno: 1..4095 }.
uint32_t ParseAction(Napi::Env env, const Napi::Value& v, const std::string& path) {
  std::string type;
  Napi::Object obj;
  if (v.IsString()) {
    type = v.As<Napi::String>().Utf8Value();
  } else if (v.IsObject()) {
    obj = v.As<Napi::Object>();
    type = ParseString(env, obj.Get("type"), path + ".type");
  } else {
    ThrowType(env, path, "must be an action string or object");
  }
  if (type == "allow") return SCMP_ACT_ALLOW;
  if (type == "kill_process") return SCMP_ACT_KILL_PROCESS;
  if (type == "errno" && !obj.IsEmpty()) {
    const uint64_t e = ParseUint(env, obj.Get("errno"), path + ".errno");
    if (e < 1 || e > 4095) ThrowType(env, path + ".errno", "must be between 1 and 4095");
    return SCMP_ACT_ERRNO(static_cast<uint32_t>(e));
  }
  ThrowType(env, path, "has unknown action type '" + type + "' (allow, kill_process, errno)");
}

scmp_arg_cmp ParseArg(Napi::Env env, const Napi::Value& v, const std::string& path) {
  if (!v.IsObject() || v.IsArray()) ThrowType(env, path, "must be an object");
  const Napi::Object arg = v.As<Napi::Object>();
  const uint64_t index = ParseUint(env, arg.Get("index"), path + ".index");
  if (index > 5) ThrowType(env, path + ".index", "must be 0..5 (got " + std::to_string(index) + ")");
  const std::string op = ParseString(env, arg.Get("op"), path + ".op");
  const uint64_t value = ParseUint(env, arg.Get("value"), path + ".value");
  const Napi::Value mask_v = arg.Get("mask");

  scmp_arg_cmp cmp{};
  cmp.arg = static_cast<unsigned int>(index);
  if (op == "masked_eq") {
    if (mask_v.IsUndefined()) ThrowType(env, path + ".mask", "is required for op 'masked_eq'");
    const uint64_t mask = ParseUint(env, mask_v, path + ".mask");
    // A value with bits outside the mask can never match: almost certainly a typo.
    if ((value & ~mask) != 0) ThrowType(env, path + ".value", "has bits outside mask, so it can never match");
    cmp.op = SCMP_CMP_MASKED_EQ;
    cmp.datum_a = mask;
    cmp.datum_b = value;
  } else if (op == "ne" || op == "ge") {
    // Full 64-bit comparisons: junk in the upper half makes `ne`/`ge` match (fails closed).
    if (!mask_v.IsUndefined()) ThrowType(env, path + ".mask", "is only allowed with op 'masked_eq'");
    cmp.op = op == "ne" ? SCMP_CMP_NE : SCMP_CMP_GE;
    cmp.datum_a = value;
    cmp.datum_b = 0;
  } else {
    ThrowType(env, path + ".op", "must be 'masked_eq', 'ne' or 'ge' (got '" + op + "')");
  }
  return cmp;
}

struct Rule {
  std::string syscall;
  uint32_t action;
  std::vector<scmp_arg_cmp> args;
  bool optional;
};

Rule ParseRule(Napi::Env env, const Napi::Value& v, const std::string& path) {
  if (!v.IsObject() || v.IsArray()) ThrowType(env, path, "must be an object");
  const Napi::Object obj = v.As<Napi::Object>();
  Rule rule;
  rule.syscall = ParseString(env, obj.Get("syscall"), path + ".syscall");
  if (rule.syscall.empty()) ThrowType(env, path + ".syscall", "must not be empty");
  rule.action = ParseAction(env, obj.Get("action"), path + ".action");
  const Napi::Value args = obj.Get("args");
  if (!args.IsUndefined()) {
    if (!args.IsArray()) ThrowType(env, path + ".args", "must be an array");
    const Napi::Array arr = args.As<Napi::Array>();
    if (arr.Length() > 6) ThrowType(env, path + ".args", "has more than 6 comparisons");
    bool seen[6] = {false, false, false, false, false, false};
    for (uint32_t i = 0; i < arr.Length(); i++) {
      const std::string arg_path = path + ".args[" + std::to_string(i) + "]";
      rule.args.push_back(ParseArg(env, arr.Get(i), arg_path));
      // libseccomp 2.5 allows one comparison per argument in a rule (it answers EINVAL).
      const unsigned int index = rule.args.back().arg;
      if (seen[index]) ThrowType(env, arg_path + ".index", "repeats argument " + std::to_string(index) + " (one comparison per argument per rule; use several rules to OR)");
      seen[index] = true;
    }
  }
  const Napi::Value optional = obj.Get("optional");
  if (!optional.IsUndefined() && !optional.IsBoolean()) ThrowType(env, path + ".optional", "must be a boolean");
  rule.optional = optional.IsBoolean() && optional.As<Napi::Boolean>().Value();
  return rule;
}

// ---- export ----------------------------------------------------------------------------

// libseccomp 2.5 can only export to a file descriptor. A memfd never blocks (unlike a pipe,
// whose buffer could fill) and touches no file system.
Napi::Value ExportBpf(Napi::Env env, scmp_filter_ctx ctx) {
  OwnedFd fd(memfd_create("cordon-seccomp", MFD_CLOEXEC));
  if (fd.get() < 0) throw Napi::Error::New(env, "seccomp: memfd_create failed: " + LibError(errno));
  const int rc = seccomp_export_bpf(ctx, fd.get());
  if (rc < 0) throw Napi::Error::New(env, "seccomp: exporting the BPF program failed: " + LibError(rc));
  const off_t size = lseek(fd.get(), 0, SEEK_END);
  if (size <= 0) throw Napi::Error::New(env, "seccomp: exported BPF program is empty");
  Napi::Uint8Array out = Napi::Uint8Array::New(env, static_cast<size_t>(size));
  size_t done = 0;
  while (done < static_cast<size_t>(size)) {
    const ssize_t n = pread(fd.get(), out.Data() + done, static_cast<size_t>(size) - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Napi::Error::New(env, "seccomp: reading the BPF program back failed: " + LibError(errno));
    done += static_cast<size_t>(n);
  }
  return out;
}

// ---- compile(spec) -----------------------------------------------------------------------

Napi::Value Compile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject() || info[0].IsArray()) ThrowType(env, "spec", "must be an object");
  const Napi::Object spec = info[0].As<Napi::Object>();

  const uint32_t default_action = ParseAction(env, spec.Get("defaultAction"), "defaultAction");
  const uint32_t bad_arch_action = ParseAction(env, spec.Get("badArchAction"), "badArchAction");
  const Napi::Value rules_v = spec.Get("rules");
  if (!rules_v.IsArray()) ThrowType(env, "rules", "must be an array");
  const Napi::Array rules_arr = rules_v.As<Napi::Array>();
  std::vector<Rule> rules;
  for (uint32_t i = 0; i < rules_arr.Length(); i++) {
    rules.push_back(ParseRule(env, rules_arr.Get(i), "rules[" + std::to_string(i) + "]"));
  }

  // Resolve every name first so one error lists all unknown syscalls. A negative number
  // other than __NR_SCMP_ERROR is a libseccomp "pseudo syscall": known, but not a syscall of
  // this architecture; it is treated as unknown too (a rule for it would filter nothing).
  std::vector<int> numbers(rules.size(), __NR_SCMP_ERROR);
  std::string unknown;
  for (size_t i = 0; i < rules.size(); i++) {
    const int nr = seccomp_syscall_resolve_name(rules[i].syscall.c_str());
    if (nr >= 0) {
      numbers[i] = nr;
    } else if (!rules[i].optional) {
      unknown += (unknown.empty() ? "" : ", ") + rules[i].syscall;
    }
  }
  if (!unknown.empty()) {
    const scmp_version* v = seccomp_version();
    throw Napi::Error::New(env, "seccomp: unknown syscall(s) for libseccomp " + std::to_string(v->major) + "." +
                                    std::to_string(v->minor) + "." + std::to_string(v->micro) +
                                    " on this architecture: " + unknown +
                                    " (mark the rule optional if it may be missing)");
  }

  FilterContext ctx(default_action);
  if (ctx.get() == nullptr) throw Napi::Error::New(env, "seccomp: seccomp_init failed (bad default action?)");
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, bad_arch_action);
  if (rc < 0) throw Napi::Error::New(env, "seccomp: setting the bad-architecture action failed: " + LibError(rc));

  for (size_t i = 0; i < rules.size(); i++) {
    if (numbers[i] < 0) continue;  // optional and unknown: skipped on purpose
    const Rule& r = rules[i];
    rc = seccomp_rule_add_array(ctx.get(), r.action, numbers[i], static_cast<unsigned int>(r.args.size()),
                                r.args.empty() ? nullptr : r.args.data());
    if (rc < 0) {
      throw Napi::Error::New(env, "seccomp: libseccomp rejected rules[" + std::to_string(i) + "] (" + r.syscall +
                                      "): " + LibError(rc));
    }
  }
  return ExportBpf(env, ctx.get());
}

Napi::Value LibseccompVersion(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const scmp_version* v = seccomp_version();
  Napi::Object out = Napi::Object::New(env);
  out.Set("major", v->major);
  out.Set("minor", v->minor);
  out.Set("micro", v->micro);
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("compile", Napi::Function::New(env, Compile, "compile"));
  exports.Set("libseccompVersion", Napi::Function::New(env, LibseccompVersion, "libseccompVersion"));
  RegisterDescriptorPassing(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(cordon_seccomp, Init)
