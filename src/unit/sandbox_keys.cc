// The sandboxing and resource-control directives of systemd.exec(5)
// ("SANDBOXING", "CAPABILITIES", "SECURITY", "MANDATORY ACCESS CONTROL",
// "SYSTEM CALL FILTERING", the file-system namespaces of "PATHS") and
// systemd.resource-control(5), kept apart from the others so that the
// sandbox work has a place of its own.
//
// Until it lands they are refused: a unit that asks for PrivateTmp= or
// MemoryMax= is not run without it. To implement one, give its row the
// status Implemented and a parser here (Assignment and the shared parsers
// are in key_parsers.h; the fields go in unit.h), and nothing else in the
// registry changes. Accounting is accepted without effect: it limits
// nothing.
#include "unit/directives.h"
#include "unit/key_parsers.h"

namespace unitrun::unit {
namespace {

using S = DirectiveStatus;
using R = Reason;

constexpr Directive refused_sandboxing(std::string_view name) {
  return {"Service", name, S::Refused, R::Sandboxing, nullptr};
}
constexpr Directive refused_resource_control(std::string_view name) {
  return {"Service", name, S::Refused, R::ResourceControl, nullptr};
}

constexpr Directive kRows[] = {
    // Sandboxing: file-system views, identities, capabilities, system call
    // filters, namespaces, MAC labels.
    refused_sandboxing("RootDirectoryStartOnly"),
    refused_sandboxing("RootDirectory"),
    refused_sandboxing("RootImage"),
    refused_sandboxing("RootImageOptions"),
    refused_sandboxing("RootHash"),
    refused_sandboxing("RootHashSignature"),
    refused_sandboxing("RootVerity"),
    refused_sandboxing("ExtensionDirectories"),
    refused_sandboxing("ExtensionImages"),
    refused_sandboxing("MountImages"),
    refused_sandboxing("DynamicUser"),
    refused_sandboxing("RemoveIPC"),
    refused_sandboxing("SecureBits"),
    refused_sandboxing("CapabilityBoundingSet"),
    refused_sandboxing("AmbientCapabilities"),
    refused_sandboxing("NoNewPrivileges"),
    refused_sandboxing("KeyringMode"),
    refused_sandboxing("ProtectProc"),
    refused_sandboxing("ProcSubset"),
    refused_sandboxing("SystemCallFilter"),
    refused_sandboxing("SystemCallArchitectures"),
    refused_sandboxing("SystemCallErrorNumber"),
    refused_sandboxing("SystemCallLog"),
    refused_sandboxing("MemoryDenyWriteExecute"),
    refused_sandboxing("RestrictNamespaces"),
    refused_sandboxing("RestrictRealtime"),
    refused_sandboxing("RestrictSUIDSGID"),
    refused_sandboxing("RestrictAddressFamilies"),
    refused_sandboxing("LockPersonality"),
    refused_sandboxing("RestrictFileSystems"),
    refused_sandboxing("ReadWriteDirectories"),
    refused_sandboxing("ReadOnlyDirectories"),
    refused_sandboxing("InaccessibleDirectories"),
    refused_sandboxing("ReadWritePaths"),
    refused_sandboxing("ReadOnlyPaths"),
    refused_sandboxing("InaccessiblePaths"),
    refused_sandboxing("ExecPaths"),
    refused_sandboxing("NoExecPaths"),
    refused_sandboxing("BindPaths"),
    refused_sandboxing("BindReadOnlyPaths"),
    refused_sandboxing("TemporaryFileSystem"),
    refused_sandboxing("PrivateTmp"),
    refused_sandboxing("PrivateDevices"),
    refused_sandboxing("ProtectKernelTunables"),
    refused_sandboxing("ProtectKernelModules"),
    refused_sandboxing("ProtectKernelLogs"),
    refused_sandboxing("ProtectClock"),
    refused_sandboxing("ProtectControlGroups"),
    refused_sandboxing("NetworkNamespacePath"),
    refused_sandboxing("IPCNamespacePath"),
    refused_sandboxing("LogNamespace"),
    refused_sandboxing("PrivateNetwork"),
    refused_sandboxing("PrivateUsers"),
    refused_sandboxing("PrivateMounts"),
    refused_sandboxing("PrivateIPC"),
    refused_sandboxing("ProtectSystem"),
    refused_sandboxing("ProtectHome"),
    refused_sandboxing("MountFlags"),
    refused_sandboxing("MountAPIVFS"),
    refused_sandboxing("SELinuxContext"),
    refused_sandboxing("AppArmorProfile"),
    refused_sandboxing("SmackProcessLabel"),
    refused_sandboxing("ProtectHostname"),
    // Resource control (systemd.resource-control(5)); device and network
    // access control among them is sandboxing.
    refused_resource_control("Slice"),
    refused_resource_control("AllowedCPUs"),
    refused_resource_control("StartupAllowedCPUs"),
    refused_resource_control("AllowedMemoryNodes"),
    refused_resource_control("StartupAllowedMemoryNodes"),
    {"Service", "CPUAccounting", S::NoEffect, R::Accounting, &check_boolean},
    refused_resource_control("CPUWeight"),
    refused_resource_control("StartupCPUWeight"),
    refused_resource_control("CPUShares"),
    refused_resource_control("StartupCPUShares"),
    refused_resource_control("CPUQuota"),
    refused_resource_control("CPUQuotaPeriodSec"),
    {"Service", "MemoryAccounting", S::NoEffect, R::Accounting, &check_boolean},
    refused_resource_control("MemoryMin"),
    refused_resource_control("DefaultMemoryMin"),
    refused_resource_control("DefaultMemoryLow"),
    refused_resource_control("MemoryLow"),
    refused_resource_control("MemoryHigh"),
    refused_resource_control("MemoryMax"),
    refused_resource_control("MemorySwapMax"),
    refused_resource_control("MemoryLimit"),
    refused_sandboxing("DeviceAllow"),
    refused_sandboxing("DevicePolicy"),
    {"Service", "IOAccounting", S::NoEffect, R::Accounting, &check_boolean},
    refused_resource_control("IOWeight"),
    refused_resource_control("StartupIOWeight"),
    refused_resource_control("IODeviceWeight"),
    refused_resource_control("IOReadBandwidthMax"),
    refused_resource_control("IOWriteBandwidthMax"),
    refused_resource_control("IOReadIOPSMax"),
    refused_resource_control("IOWriteIOPSMax"),
    refused_resource_control("IODeviceLatencyTargetSec"),
    {"Service", "BlockIOAccounting", S::NoEffect, R::Accounting, &check_boolean},
    refused_resource_control("BlockIOWeight"),
    refused_resource_control("StartupBlockIOWeight"),
    refused_resource_control("BlockIODeviceWeight"),
    refused_resource_control("BlockIOReadBandwidth"),
    refused_resource_control("BlockIOWriteBandwidth"),
    {"Service", "TasksAccounting", S::NoEffect, R::Accounting, &check_boolean},
    refused_resource_control("TasksMax"),
    refused_resource_control("Delegate"),
    refused_resource_control("DisableControllers"),
    {"Service", "IPAccounting", S::NoEffect, R::Accounting, &check_boolean},
    refused_sandboxing("IPAddressAllow"),
    refused_sandboxing("IPAddressDeny"),
    refused_sandboxing("IPIngressFilterPath"),
    refused_sandboxing("IPEgressFilterPath"),
    refused_resource_control("ManagedOOMSwap"),
    refused_resource_control("ManagedOOMMemoryPressure"),
    refused_resource_control("ManagedOOMMemoryPressureLimit"),
    refused_resource_control("ManagedOOMPreference"),
    refused_sandboxing("BPFProgram"),
    refused_sandboxing("SocketBindAllow"),
    refused_sandboxing("SocketBindDeny"),
    refused_sandboxing("RestrictNetworkInterfaces"),
};

}  // namespace

std::span<const Directive> sandbox_directives() { return kRows; }

}  // namespace unitrun::unit
