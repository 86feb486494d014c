"""A mock resource monitor that behaves like the engine where the stock one does not.

The stock `pulumi.runtime.mocks.MockMonitor` differs from the engine in ways that change what a
plan says. This monitor closes those gaps:

- transforms: the engine runs a resource's own transforms, then its ancestors' (nearest first),
  then the stack's, before anything else sees the inputs. The stock monitor only records them.
  Here they run through the SDK's own callback server, with the same request and response
  messages the engine exchanges, so props and options round-trip exactly as in a real run;
- URNs: the engine builds a resource's type from the full chain of parent types below the root
  stack (`Outer$Inner$aws:s3/bucket:Bucket`); the stock monitor keeps only the last parent type and
  prefixes top-level resources with the root stack type;
- what `Mocks.new_resource` never sees: parent, protect, provider, dependencies and property
  dependencies arrive in the register request; they are captured here for plans and policies;
- auto-naming: providers name resources `<logical name>-<7 hex>` when a name field is left out;
  the name then appears among the inputs, as in `pulumi preview --json`.
"""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass
from typing import Any, Optional

from google.protobuf import empty_pb2
from pulumi.runtime import MockResourceArgs
from pulumi.runtime.proto import engine_pb2, resource_pb2

from mlplat.core.sdk_types import autoname_property

from .fakes import generated_name, stable_hex
from .plan import ROOT_STACK_TYPE, Diagnostic, PlannedResource
from .pulumi_compat import (
    UNKNOWN,
    MockEngine,
    MockMonitor,
    deserialize_properties,
    is_secret_envelope,
    secret_envelope,
    is_unknown_value,
    record_resource_state,
    recorded_state,
    serialize_properties,
    thread_event_loop,
    transform_callback,
)


class RecordingEngine(MockEngine):
    """Collects `pulumi.log` messages as plan diagnostics."""

    _SEVERITIES = {
        engine_pb2.DEBUG: "debug",
        engine_pb2.INFO: "info",
        engine_pb2.WARNING: "warning",
        engine_pb2.ERROR: "error",
    }

    def __init__(self) -> None:
        super().__init__(None)
        self.diagnostics: list[Diagnostic] = []

    def Log(self, request):
        severity = self._SEVERITIES.get(request.severity, "info")
        if severity != "debug":
            self.diagnostics.append(Diagnostic(severity, request.message, request.urn or None))
        return empty_pb2.Empty()


def coerce_numbers(value: Any) -> Any:
    """Protobuf carries every number as a double; providers hand integral values back as ints.

    Containers with nothing to change are returned as they are, not copied: a resource's outputs
    share the structures they repeat from its inputs (plans are read, never changed in place).
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        items = {k: coerce_numbers(v) for k, v in value.items()}
        return value if all(items[k] is v for k, v in value.items()) else items
    if isinstance(value, list):
        converted = [coerce_numbers(v) for v in value]
        return value if all(a is b for a, b in zip(converted, value)) else converted
    return value


def _plain(value: Any, path: str, secrets: list[str], unknowns: list[str]) -> Any:
    """Unwrap secrets and unknowns to the engine's JSON forms, remembering where each was."""
    if is_unknown_value(value):
        unknowns.append(path)
        return UNKNOWN
    if isinstance(value, dict):
        if is_secret_envelope(value):
            secrets.append(path)
            return _plain(value.get("value"), path, secrets, unknowns)
        return {k: _plain(v, f"{path}.{k}" if path else k, secrets, unknowns) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, f"{path}[{i}]", secrets, unknowns) for i, v in enumerate(value)]
    return coerce_numbers(value)


@dataclass(frozen=True)
class _Plain:
    values: dict[str, Any]
    secret_paths: list[str]
    unknown_keys: frozenset[str]  # top-level keys holding an unknown value somewhere


def _struct_to_plain(struct: Any) -> _Plain:
    secrets: list[str] = []
    unknowns: list[str] = []
    props = deserialize_properties(struct)
    values = _plain(props, "", secrets, unknowns)
    return _Plain(values, secrets, frozenset(re.split(r"[.\[]", path, maxsplit=1)[0] for path in unknowns))


def _top_key(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _output_secret_paths(input_secret_paths: list[str], additional: Any, state: dict[str, Any]) -> list[str]:
    """The state's secret properties, as the engine decides them: an output whose input was secret,
    and every `additionalSecretOutputs` property."""
    keys = {_top_key(p) for p in input_secret_paths} | set(additional)
    return sorted(k for k in keys if k in state)


def _with_secret_envelopes(state: dict[str, Any], secret_keys: list[str]) -> dict[str, Any]:
    if not secret_keys:
        return state
    return {k: (secret_envelope(v) if k in secret_keys else v) for k, v in state.items()}


class TransformFailed(RuntimeError):
    """A resource transform raised; the engine would fail the update with this message."""


class RecordingMonitor(MockMonitor):
    """MockMonitor that applies transforms, builds engine URNs and records every registration."""

    def __init__(self, mocks, *, stack: str, project: str, seed_stack: Optional[str] = None) -> None:
        super().__init__(mocks)
        self._stack = stack
        self._project = project
        self._seed_prefix = (f"urn:pulumi:{stack}::", f"urn:pulumi:{seed_stack}::") if seed_stack else None
        self._lock = threading.RLock()
        self.registrations: dict[str, PlannedResource] = {}
        self.root_urn: Optional[str] = None
        self.stack_outputs: dict[str, Any] = {}
        self.stack_output_secret_paths: list[str] = []
        self.invokes: list[tuple[str, dict[str, Any]]] = []
        self._parents: dict[str, str] = {}
        self._resource_transforms: dict[str, list[Any]] = {}
        self._stack_transform_callbacks: list[Any] = []
        self._thread_loops: dict[int, asyncio.AbstractEventLoop] = {}

    def _thread_loop(self) -> None:
        """The SDK's per-thread event loop for this pool thread, remembered so that it is closed
        when the run ends (left open, it is closed by the garbage collector after its sockets)."""
        ident = threading.get_ident()
        if ident in self._thread_loops:
            return
        loop = thread_event_loop()
        with self._lock:
            self._thread_loops.setdefault(ident, loop)

    def close_thread_loops(self) -> None:
        """Close the pool threads' event loops; call once the program has finished."""
        with self._lock:
            loops, self._thread_loops = list(self._thread_loops.values()), {}
        for loop in loops:
            if not loop.is_running() and not loop.is_closed():
                loop.close()

    # --- URNs --------------------------------------------------------------------------------

    def seed(self, urn: str) -> str:
        """What fake names and ids derive from: the URN, with the seed stack's name for this stack's
        (a layer stack's resources then get the ids the environment's single stack gives them)."""
        if self._seed_prefix and urn.startswith(self._seed_prefix[0]):
            return self._seed_prefix[1] + urn[len(self._seed_prefix[0]):]
        return urn

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        qualified = type_
        if parent and parent != self.root_urn:
            parent_type = parent.split("::")[2]
            if parent_type != ROOT_STACK_TYPE:
                qualified = f"{parent_type}${type_}"
        return f"urn:pulumi:{self._stack}::{self._project}::{qualified}::{name}"

    # --- transforms --------------------------------------------------------------------------

    def RegisterStackTransform(self, request):
        with self._lock:
            self._stack_transform_callbacks.append(request)
        return super().RegisterStackTransform(request)

    def _transform_chain(self, request) -> list[Any]:
        chain = list(request.transforms)
        with self._lock:
            current = request.parent if self._resource_transforms else ""  # no ancestor has any
            while current:
                chain.extend(self._resource_transforms.get(current, []))
                current = self._parents.get(current, "")
            chain.extend(self._stack_transform_callbacks)
        return chain

    def _apply_transforms(self, request):
        chain = self._transform_chain(request)
        if not chain:
            return request
        props = request.object
        options = resource_pb2.TransformResourceOptions(
            depends_on=list(request.dependencies),
            ignore_changes=list(request.ignoreChanges),
            replace_on_changes=list(request.replaceOnChanges),
            version=request.version,
            aliases=list(request.aliases),
            provider=request.provider,
            plugin_download_url=request.pluginDownloadURL,
            deleted_with=request.deletedWith,
            delete_before_replace=request.deleteBeforeReplace,
            additional_secret_outputs=list(request.additionalSecretOutputs),
            providers=dict(request.providers),
        )
        if request.HasField("protect"):
            options.protect = request.protect
        if request.HasField("retainOnDelete"):
            options.retain_on_delete = request.retainOnDelete
        if request.HasField("customTimeouts"):
            options.custom_timeouts.CopyFrom(request.customTimeouts)
        for callback in chain:
            transform_request = resource_pb2.TransformRequest(
                type=request.type, name=request.name, custom=request.custom, parent=request.parent,
                properties=props, options=options,
            )
            response = self._invoke_callback(callback, transform_request)
            props = response.properties
            if response.HasField("options"):
                options = response.options

        transformed = resource_pb2.RegisterResourceRequest()
        transformed.CopyFrom(request)
        transformed.object.CopyFrom(props)
        del transformed.dependencies[:]
        transformed.dependencies.extend(options.depends_on)
        del transformed.ignoreChanges[:]
        transformed.ignoreChanges.extend(options.ignore_changes)
        del transformed.replaceOnChanges[:]
        transformed.replaceOnChanges.extend(options.replace_on_changes)
        transformed.deleteBeforeReplace = options.delete_before_replace
        if options.HasField("protect"):
            transformed.protect = options.protect
        if options.HasField("retain_on_delete"):
            transformed.retainOnDelete = options.retain_on_delete
        transformed.provider = options.provider
        return transformed

    @staticmethod
    def _invoke_callback(callback, transform_request):
        call = transform_callback(callback.token)
        if call is None:
            raise TransformFailed(f"transform callback {callback.token} is not registered with any callback server")
        try:
            return call(transform_request.SerializeToString())
        except Exception as exc:  # surfaced like the engine's "transform failed" error
            raise TransformFailed(
                f"transform failed for {transform_request.type} {transform_request.name!r}: {exc}"
            ) from exc

    # --- registration ------------------------------------------------------------------------

    def RegisterResource(self, request):
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == ROOT_STACK_TYPE and not request.parent:
            with self._lock:
                self.root_urn = urn
            return resource_pb2.RegisterResourceResponse(urn=urn)

        self._thread_loop()
        request = self._apply_transforms(request)
        plain = _struct_to_plain(request.object)
        inputs, secret_paths = plain.values, plain.secret_paths
        autonamed = self._autoname(request.type, request.name, urn, inputs)

        parent = request.parent or None
        with self._lock:
            if parent:
                self._parents[urn] = parent
            if request.transforms:
                self._resource_transforms[urn] = list(request.transforms)

        registration = PlannedResource(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=parent,
            inputs=inputs,
            protect=bool(request.protect) if request.HasField("protect") else False,
            provider=request.provider or None,
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            options=self._options_of(request),
            op="import" if request.importId else "create",
            secret_paths=secret_paths,
            version=request.version,
            autonamed=autonamed,
        )

        if not request.custom and not request.remote:
            with self._lock:
                self.registrations[urn] = registration
            return resource_pb2.RegisterResourceResponse(urn=urn)

        # A remote component (a multi-language component: Helm's v4 Chart, awsx, pulumi-eks) gets its
        # outputs from its provider's plugin, as a custom resource does: the mocks answer for both.
        mock_inputs = {k: (None if v == UNKNOWN else v) for k, v in inputs.items()}
        resource_args = MockResourceArgs(
            typ=request.type, name=request.name, inputs=mock_inputs, provider=request.provider,
            resource_id=request.importId, custom=bool(request.custom), transforms=[],
        )
        resource_args.urn = urn  # type: ignore[attr-defined]
        id_, state = self.mocks.new_resource(resource_args)
        # An input unknown at plan time stays unknown in the state, as the engine reports it.
        state = {**state, **{k: inputs[k] for k in plain.unknown_keys}}
        if not request.custom:
            id_ = ""  # a component has no id
        registration.id = id_ or None
        registration.outputs = coerce_numbers(state)
        registration.output_secret_paths = _output_secret_paths(secret_paths, request.additionalSecretOutputs, state)
        # The engine returns those outputs as secrets, so what the program derives from them stays secret.
        obj_proto = serialize_properties(_with_secret_envelopes(state, registration.output_secret_paths))
        with self._lock:
            self.registrations[urn] = registration
            # One copy of the state: the plan's outputs also answer reads of the resource.
            record_resource_state(self, urn, id_ or "", registration.outputs)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_ or "", object=obj_proto)

    def _autoname(self, type_: str, name: str, urn: str, inputs: dict[str, Any]) -> Optional[str]:
        """Fill the provider's auto-name into `inputs`; returns the property named, if any."""
        prop = autoname_property(type_)
        if prop is None or inputs.get(prop) not in (None, ""):
            return None
        prefix = inputs.get(f"{prop}Prefix")
        if isinstance(prefix, str) and prefix:
            # Terraform's unique suffix: a UTC timestamp and a counter, 26 digits in all.
            inputs[prop] = prefix + "20260101000000" + str(int(stable_hex(self.seed(urn), 12), 16))[-12:].zfill(12)
            return prop
        generated = generated_name(name, self.seed(urn))
        if type_.startswith("aws:s3/"):
            generated = generated.lower()
        elif type_ == "aws:kms/alias:Alias":
            generated = f"alias/{generated}"  # the provider's alias auto-names carry the required prefix
        inputs[prop] = generated
        return prop

    @staticmethod
    def _options_of(request) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if request.ignoreChanges:
            options["ignoreChanges"] = list(request.ignoreChanges)
        if request.replaceOnChanges:
            options["replaceOnChanges"] = list(request.replaceOnChanges)
        if request.deleteBeforeReplace:
            options["deleteBeforeReplace"] = True
        if request.HasField("retainOnDelete") and request.retainOnDelete:
            options["retainOnDelete"] = True
        if request.additionalSecretOutputs:
            options["additionalSecretOutputs"] = list(request.additionalSecretOutputs)
        if request.aliases:
            options["aliases"] = [_alias_text(a) for a in request.aliases]
        if request.deletedWith:
            options["deletedWith"] = request.deletedWith
        return options

    def ReadResource(self, request):
        self._thread_loop()
        response = super().ReadResource(request)
        plain = _struct_to_plain(request.properties)
        inputs, secrets = plain.values, plain.secret_paths
        registration = PlannedResource(
            urn=response.urn, type=request.type, name=request.name, custom=True,
            parent=request.parent or None, inputs=inputs, id=request.id, op="read",
            provider=request.provider or None, secret_paths=secrets,
        )
        # A read's state may hold secrets (a stack reference's secret outputs): plain values, paths remembered.
        state_secrets: list[str] = []
        registration.outputs = _plain(recorded_state(self, response.urn), "", state_secrets, [])
        registration.output_secret_paths = state_secrets
        with self._lock:
            self.registrations[response.urn] = registration
        return response

    def RegisterResourceOutputs(self, request):
        plain = _struct_to_plain(request.outputs)
        with self._lock:
            if request.urn == self.root_urn:
                self.stack_outputs = plain.values
                self.stack_output_secret_paths = plain.secret_paths
            elif request.urn in self.registrations:
                self.registrations[request.urn].outputs = plain.values
                self.registrations[request.urn].output_secret_paths = plain.secret_paths
        return empty_pb2.Empty()

    def Invoke(self, request):
        self._thread_loop()
        args = _struct_to_plain(request.args).values
        with self._lock:
            self.invokes.append((request.tok, args))
        return super().Invoke(request)


def _alias_text(alias) -> str:
    if alias.urn:
        return alias.urn
    spec = alias.spec
    parts = [f"{k}={getattr(spec, k)}" for k in ("name", "type", "stack", "project") if getattr(spec, k)]
    if spec.parentUrn:
        parts.append(f"parent={spec.parentUrn}")
    if spec.noParent:
        parts.append("noParent")
    return "alias(" + ", ".join(parts) + ")"
