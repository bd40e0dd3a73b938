#!/usr/bin/env bash
# Validates the Bicep under infra/ offline: installs the pinned Bicep CLI from its NuGet package
# (a throwaway restore of a generated project, no dotnet tool), then runs `bicep build` and
# `bicep lint` on main.bicep. The CLI exits 0 on warnings, so any "Warning" or "Error" line fails.
# The CLI stays in .tools/bin/bicep, where the consistency tests (FunctionApp.Tests) look for it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bicep_package="Azure.Bicep.CommandLine.linux-x64"
bicep_version="0.49.2"
tools="$root/.tools"
packages="$tools/packages"
cli="$packages/$(tr '[:upper:]' '[:lower:]' <<<"$bicep_package")/$bicep_version/tools/bicep"

if [ ! -x "$cli" ]; then
  # Outside the repository, so Directory.Build.props (lock files, locked mode) does not apply.
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  cat >"$scratch/bicep-cli.csproj" <<PROJECT
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="$bicep_package" Version="[$bicep_version]" />
  </ItemGroup>
</Project>
PROJECT
  dotnet restore "$scratch/bicep-cli.csproj" --packages "$packages" --verbosity quiet
  chmod +x "$cli"
fi

mkdir -p "$tools/bin"
ln -sf "$cli" "$tools/bin/bicep"
"$cli" --version

status=0
check() {
  local name="$1" output failed=0
  shift
  output="$("$@" 2>&1)" || failed=1
  [ -z "$output" ] || printf '%s\n' "$output"
  if grep -Eq '(^|[ :])(Warning|Error) ' <<<"$output"; then
    failed=1
  fi
  if [ "$failed" -eq 0 ]; then
    echo "bicep $name: clean"
  else
    status=1
  fi
}

check build "$cli" build infra/main.bicep --outfile "$tools/main.json"
check lint "$cli" lint infra/main.bicep

if [ "$status" -ne 0 ]; then
  echo "infra/validate.sh: the Bicep has warnings or errors (see above)." >&2
fi
exit "$status"
