"""Outputs and invoke answers for types no hand-written fake models, from the SDK's type information.

`_shapes` reads which properties a resource's state (or a data source's result) always holds and
their types; this module gives each a plausible value in the format its name implies, compiled once
per type token into a list of small functions (the per-resource cost is a loop over them):

- `arn` is the resource's ARN in the service's own namespace (botocore's signing name), with the
  resource part a botocore shape of that service describes when one has a pattern (`FunctionArn`,
  `DBAndClusterArn`, ...), else `<resource type>/<name>`; other `...Arn` properties are ARNs too;
- ids have the provider's form where the name tells it (`vpc-` + 17 hex, `ami-`, `sg-`, a hosted
  zone's `Z...`, a CloudFront distribution's `E...`), and the same value wherever the same kind of
  id appears in one resource (an AMI lookup's `id` and `imageId`);
- names are the provider's auto-names (`<name>-<7 hex>`), URLs and endpoints are `https://` URLs on
  the service's host in the region, dates the fixed creation time the hand-written fakes use,
  account and region properties the run's, statuses the service's "ready" value from botocore's
  enum when it has one;
- numbers, booleans, lists (one element), maps and nested objects follow their declared types;
  `tagsAll` repeats `tags`, and whatever the program gave as an input is kept as it is;
- a nested object the program gave in part (a listener's action, a distribution's origin) is
  topped up with the fields its output type says the provider adds: a required field left out (as
  above), the default the field's documentation names (`connectionAttempts` 3, a listener action's
  `order` its position in the list), a value the documentation says the service assigns (an EKS
  cluster's `vpcConfig.clusterSecurityGroupId`); every value the program gave is kept.

Values derive from the resource's URN (an invoke's token and arguments), so they are stable from run
to run; the region and account are the run's.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from dataclasses import replace
from typing import Any, Callable, Mapping, Optional

from mlplat.core.aws_models import python_pattern, service_model

from ._core import FakeContext, fake_uuid, generated_name, stable_hex
from mlplat.core.sdk_types import input_parameters

from ._shapes import (
    ASSET, BOOL, FLOAT, INT, LIST, MAP, OBJECT, POSITION, STR, Prop, invoke_shape, resource_shape, snake_case,
)  # fmt: skip

__all__ = ["CREATED_AT", "generic_invoke", "generic_resource", "has_generic_resource"]

CREATED_AT = "2026-01-01T00:00:00Z"
EXPIRES_AT = "2027-01-31T23:59:59Z"

Generator = Callable[[FakeContext, Mapping[str, Any]], Any]
# (value the program gave, position in its list) -> (value topped up, paths of the fields added)
TopUp = Callable[[FakeContext, Mapping[str, Any], Any, int], tuple[Any, tuple[str, ...]]]

# Pulumi module -> botocore service, where the names differ.
_BOTOCORE_SERVICE = {
    "sfn": "stepfunctions", "lb": "elbv2", "alb": "elbv2", "elb": "elb", "cognito": "cognito-idp",
    "appautoscaling": "application-autoscaling", "cfg": "config", "ssoadmin": "sso-admin", "rum": "rum",
    "cloudwatch": "cloudwatch", "sesv2": "sesv2", "opensearch": "opensearch", "msk": "kafka", "mq": "mq",
    "servicediscovery": "servicediscovery", "docdb": "docdb", "elasticache": "elasticache",
    "appmesh": "appmesh", "apprunner": "apprunner", "amp": "amp", "neptune": "neptune",
}  # fmt: skip

# ARN namespaces without a region or an account (`arn:aws:route53:::hostedzone/Z...`).
_NO_REGION = frozenset({"iam", "route53", "cloudfront", "s3", "waf", "globalaccelerator", "organizations"})
_NO_ACCOUNT = frozenset({"route53", "s3", "apigateway"})

# Ids whose format the name tells: the EC2 family's `<prefix>-<17 hex>` (by the id's subject).
_EC2_PREFIXES = {
    "vpc": "vpc", "subnet": "subnet", "securityGroup": "sg", "image": "ami", "ami": "ami", "instance": "i",
    "networkInterface": "eni", "routeTable": "rtb", "internetGateway": "igw", "natGateway": "nat",
    "allocation": "eipalloc", "association": "eipassoc", "eip": "eipalloc", "snapshot": "snap",
    "rootSnapshot": "snap", "volume": "vol", "kernel": "aki", "ramdisk": "ari", "prefixList": "pl",
    "transitGateway": "tgw", "vpcEndpoint": "vpce", "networkAcl": "acl", "dhcpOptions": "dopt",
    "launchTemplate": "lt", "keyPair": "key", "placementGroup": "pg", "egressOnlyInternetGateway": "eigw",
    "vpcPeeringConnection": "pcx", "customerGateway": "cgw", "vpnGateway": "vgw", "capacityReservation": "cr",
    "defaultSecurityGroup": "sg", "defaultRouteTable": "rtb", "defaultNetworkAcl": "acl", "mainRouteTable": "rtb",
    "carrierGateway": "cagw", "spotInstanceRequest": "sir", "flowLog": "fl", "ipam": "ipam",
}  # fmt: skip
_PUBLIC_IP_PREFIX = "203.0.113."  # TEST-NET-3: documentation addresses, never someone's server
_READY_STATES = (
    "available", "ACTIVE", "Active", "active", "AVAILABLE", "Deployed", "DEPLOYED", "InService", "ENABLED",
    "Enabled", "READY", "Ready", "ISSUED", "running", "RUNNING", "SUCCEEDED", "CREATE_COMPLETE", "INSYNC", "deployed",
)  # fmt: skip
_MAX_VALUE_DEPTH = 4  # nested objects below this depth come back empty


# --- resources -------------------------------------------------------------------------------


def has_generic_resource(type_token: str) -> bool:
    """True when the installed SDK describes this type (so its outputs can be generated)."""
    return _compiled_resource(type_token) is not None


def generic_resource(ctx: FakeContext, type_token: str, inputs: Mapping[str, Any]) -> Optional[tuple[str, dict[str, Any], tuple[str, ...]]]:
    """(id, computed outputs, names of the generated properties) for a type without a fake; None
    when the SDK does not describe the type."""
    compiled = _compiled_resource(type_token)
    if compiled is None:
        return None
    id_of, generators, top_ups = compiled
    out: dict[str, Any] = {}
    for name, generate in generators:
        current = inputs.get(name)
        if current is None:
            out[name] = generate(ctx, inputs)
    generated = list(out)
    for name, top_up in top_ups:
        current = inputs.get(name)
        if current is not None:
            value, added = top_up(ctx, inputs, current, 0)
            if added:
                out[name] = value
                generated.extend(name + path for path in added)
    return id_of(ctx, inputs), out, tuple(generated)


_Compiled = tuple[Generator, tuple[tuple[str, Generator], ...], tuple[tuple[str, TopUp], ...]]


@functools.lru_cache(maxsize=None)
def _compiled_resource(type_token: str) -> Optional[_Compiled]:
    shape = resource_shape(type_token)
    if shape is None:
        return None
    kind = _Kind.of(type_token)
    inputs = input_parameters(type_token)
    generators, top_ups = [], []
    for prop in shape:
        if prop.required and prop.kind != ASSET:
            generate = _generator(prop, kind, 0, twin=snake_case(prop.name) in inputs)
            if generate is not None:
                generators.append((prop.name, generate))
        top_up = _top_up(prop, kind, 0)
        if top_up is not None:
            top_ups.append((prop.name, top_up))
    return _id_generator(kind), tuple(generators), tuple(top_ups)


def _top_up(prop: Prop, kind: "_Kind", depth: int) -> Optional[TopUp]:
    """How to add to a value the program gave what the provider would: None when nothing can be added.

    Objects get their left-out fields (see `_filler`) and their given fields topped up in turn; the
    elements of a list are topped up one by one (each with its own seed and position)."""
    if depth >= _MAX_VALUE_DEPTH:
        return None
    if prop.kind == LIST and prop.item is not None:
        item = _top_up(prop.item, kind, depth + 1)
        if item is None:
            return None

        def top_up_list(ctx: FakeContext, inputs: Mapping[str, Any], value: Any, position: int) -> tuple[Any, tuple[str, ...]]:
            if not isinstance(value, (list, tuple)):
                return value, ()
            result, added = [], set()
            for index, element in enumerate(value):
                own = FakeContext(ctx.region, ctx.account, f"{ctx.seed}[{index}]", ctx.name)
                element, paths = item(own, inputs, element, index)
                result.append(element)
                added.update(paths)
            return result, tuple(f"[]{path}" for path in sorted(added))

        return top_up_list
    if prop.kind != OBJECT or not prop.fields:
        return None
    fillers = tuple((f.name, filler) for f in prop.fields if (filler := _filler(f, kind, depth + 1)) is not None)
    nested = tuple((f.name, sub) for f in prop.fields if (sub := _top_up(f, kind, depth + 1)) is not None)
    if not fillers and not nested:
        return None

    def top_up_object(ctx: FakeContext, inputs: Mapping[str, Any], value: Any, position: int) -> tuple[Any, tuple[str, ...]]:
        if not isinstance(value, Mapping):
            return value, ()
        result, added = dict(value), []
        for name, fill in fillers:
            if result.get(name) is None:
                result[name] = fill(ctx, inputs, position)
                added.append(f".{name}")
        for name, sub in nested:
            given = value.get(name)
            if given is not None:
                own = FakeContext(ctx.region, ctx.account, f"{ctx.seed}.{name}", ctx.name)
                result[name], paths = sub(own, inputs, given, position)
                added.extend(f".{name}{path}" for path in paths)
        return result, tuple(added)

    return top_up_object


def _filler(field: Prop, kind: "_Kind", depth: int) -> Optional[Callable[[FakeContext, Mapping[str, Any], int], Any]]:
    """The value of a field the program left out of a nested object it gave: None when the provider
    adds nothing this module can know (an optional field without a documented default)."""
    if field.kind == ASSET:
        return None
    if field.default is POSITION:
        return lambda ctx, inputs, position: position + 1
    if field.default is not None:
        default = field.default
        return lambda ctx, inputs, position: default
    if field.required or field.assigned:
        generate = _generator(field, kind, depth, twin=True)
        if generate is not None:
            return lambda ctx, inputs, position: generate(ctx, inputs)
    return None


# --- invokes ---------------------------------------------------------------------------------


def generic_invoke(token: str, args: Mapping[str, Any], region: str, account: str) -> Optional[dict[str, Any]]:
    """A data source's answer from its result type (the arguments it was called with echoed back);
    None when the SDK does not describe the invoke."""
    compiled = _compiled_invoke(token)
    if compiled is None:
        return None
    seed = f"{token}#{json.dumps(args, sort_keys=True, default=str)}"
    name = args.get("name") if isinstance(args.get("name"), str) else _Kind.of_invoke(token).subject
    ctx = FakeContext(region, account, seed, str(name))
    out: dict[str, Any] = {}
    for prop_name, generate in compiled:
        given = args.get(prop_name)
        out[prop_name] = given if given is not None else generate(ctx, args)
    return out


@functools.lru_cache(maxsize=None)
def _compiled_invoke(token: str) -> Optional[tuple[tuple[str, Generator], ...]]:
    shape = invoke_shape(token)
    if shape is None:
        return None
    kind = _Kind.of_invoke(token)
    return tuple((p.name, _generator(p, kind, 0, invoke=True)) for p in shape if p.required and p.kind != ASSET)


# --- what a type token tells -----------------------------------------------------------------


class _Kind:
    """What the values of one type derive from: its service, ARN namespace and resource type."""

    def __init__(self, package: str, module: str, subject: str) -> None:
        self.package = package
        self.module = module  # `lambda`, `ec2`, `apigatewayv2`
        self.subject = subject  # lowerCamel resource type: `function`, `restApi`, `ami`
        self.service = _BOTOCORE_SERVICE.get(module, module)
        self.namespace = _arn_namespace(self.service)
        self.host = _endpoint_host(self.service)

    @classmethod
    def of(cls, type_token: str) -> "_Kind":
        package, module, resource = (type_token.split(":") + ["", ""])[:3]
        return cls(package, module.split("/", 1)[0], resource[:1].lower() + resource[1:])

    @classmethod
    def of_invoke(cls, token: str) -> "_Kind":
        package, module, function = (token.split(":") + ["", ""])[:3]
        subject = function.removeprefix("get") or function
        return cls(package, module.split("/", 1)[0], subject[:1].lower() + subject[1:])

    @property
    def ec2_prefix(self) -> Optional[str]:
        return _EC2_PREFIXES.get(_singular(self.subject)) if self.module in ("ec2", "vpc") else None


def _singular(word: str) -> str:
    """`subnets` -> `subnet`, `subnetIds` -> `subnetId`, `policies` -> `policy` (list items, lookups of many)."""
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us")):
        return word[:-1]
    return word


@functools.lru_cache(maxsize=None)
def _service(service: str) -> Any:
    try:
        return service_model(service)
    except Exception:  # not a botocore service name: formats fall back to the Pulumi module's name
        return None


def _arn_namespace(service: str) -> str:
    model = _service(service)
    if model is None:
        return service
    return model.metadata.get("signingName") or model.metadata.get("endpointPrefix") or service


def _endpoint_host(service: str) -> str:
    model = _service(service)
    prefix = model.metadata.get("endpointPrefix") if model is not None else None
    return prefix or service


@functools.lru_cache(maxsize=None)
def _arn_pattern(service: str, subject: str) -> Optional[re.Pattern[str]]:
    """botocore's pattern for this resource type's ARN, when the service model names one."""
    model = _service(service)
    if model is None:
        return None
    wanted = {f"{subject}arn".lower(), f"{subject}resourcearn".lower()}
    for shape_name in model.shape_names:
        if shape_name.lower() in wanted:
            pattern = model.shape_for(shape_name).metadata.get("pattern")
            if pattern:
                try:
                    return re.compile(python_pattern(pattern))
                except re.error:
                    return None
    return None


def _kebab(camel: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", camel).lower()


# ARN resource parts the service documents and botocore has no pattern for ({name}: the resource's
# name, {id}: its id, {hex}: 16 hex).
_ARN_RESOURCES = {
    ("lambda", "function"): "function:{name}",
    ("sfn", "stateMachine"): "stateMachine:{name}", ("sfn", "activity"): "activity:{name}",
    ("rds", "instance"): "db:{name}", ("rds", "cluster"): "cluster:{name}", ("rds", "subnetGroup"): "subgrp:{name}",
    ("rds", "parameterGroup"): "pg:{name}", ("rds", "clusterParameterGroup"): "cluster-pg:{name}",
    ("ecs", "taskDefinition"): "task-definition/{name}:1", ("ecs", "service"): "service/{cluster}/{name}",
    ("lb", "loadBalancer"): "loadbalancer/{lbkind}/{name}/{hex}", ("lb", "targetGroup"): "targetgroup/{name}/{hex}",
    ("lb", "listener"): "listener/app/{name}/{hex}/{hex}", ("alb", "loadBalancer"): "loadbalancer/{lbkind}/{name}/{hex}",
    ("alb", "targetGroup"): "targetgroup/{name}/{hex}", ("cloudfront", "distribution"): "distribution/{id}",
    ("route53", "zone"): "hostedzone/{id}", ("sns", "topic"): "{name}", ("sqs", "queue"): "{name}",
    ("dynamodb", "table"): "table/{name}", ("ec2", "instance"): "instance/{id}", ("acm", "certificate"): "certificate/{uuid}",
}  # fmt: skip


def _resource_arn(ctx: FakeContext, kind: _Kind, inputs: Mapping[str, Any], resource_id: Optional[str] = None) -> str:
    ns = kind.namespace
    region = "" if ns in _NO_REGION else ctx.region
    account = "" if ns in _NO_ACCOUNT else ctx.account
    prefix = f"arn:aws:{ns}:{region}:{account}:"
    name = _name_of(ctx, inputs)
    if ns == "apigateway":  # API Gateway's ARNs are paths of its management API
        apis = "apis" if kind.module == "apigatewayv2" else "restapis"
        if kind.subject in ("restApi", "api"):
            return f"{prefix}/{apis}/{resource_id or _api_id(ctx, inputs)}"
        own = inputs.get("stageName") or inputs.get("name") or _lower_id(ctx, 6, kind.subject)
        return f"{prefix}/{apis}/{_api_id(ctx, inputs)}/{kind.subject.lower()}s/{own}"
    template = _ARN_RESOURCES.get((kind.module, kind.subject))
    if template is not None:
        cluster = str(inputs.get("cluster") or "default").rsplit("/", 1)[-1]
        lbkind = "net" if inputs.get("loadBalancerType") == "network" else "app"
        if "{id}" in template and resource_id is None:
            resource_id = _id_generator(kind)(ctx, inputs)
        return prefix + template.format(
            name=name, id=resource_id, hex=ctx.hex(16), cluster=cluster, lbkind=lbkind, uuid=fake_uuid(ctx.seed)
        )
    candidates = (f"{kind.subject}/{name}", f"{kind.subject}:{name}", f"{_kebab(kind.subject)}/{name}",
                  f"{_kebab(kind.subject)}:{name}", name)  # fmt: skip
    pattern = _arn_pattern(kind.service, kind.subject)
    if pattern is not None:
        for resource in candidates:
            if pattern.fullmatch(prefix + resource):
                return prefix + resource
    return prefix + candidates[0]


# --- ids -------------------------------------------------------------------------------------


def _name_of(ctx: FakeContext, inputs: Mapping[str, Any]) -> str:
    for key in ("name", "identifier", "functionName", "family", "clusterName"):
        value = inputs.get(key)
        if isinstance(value, str) and value:
            return value
    return generated_name(ctx.name, ctx.seed)


def _ec2_id(ctx: FakeContext, prefix: str) -> str:
    return f"{prefix}-{stable_hex(ctx.seed + '#' + prefix, 17)}"


def _upper_id(ctx: FakeContext, first: str, length: int, salt: str = "") -> str:
    digits = stable_hex(ctx.seed + salt, length * 2)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return first + "".join(alphabet[int(digits[i:i + 2], 16) % len(alphabet)] for i in range(0, length * 2, 2))


def _lower_id(ctx: FakeContext, length: int, salt: str = "") -> str:
    digits = stable_hex(ctx.seed + salt, length * 2)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[int(digits[i:i + 2], 16) % len(alphabet)] for i in range(0, length * 2, 2))


def _id_generator(kind: _Kind) -> Generator:
    special = _special_id(kind.subject, kind)
    if special is not None:
        return special
    if kind.ec2_prefix:
        prefix = kind.ec2_prefix
        return lambda ctx, inputs: _ec2_id(ctx, prefix)
    return _name_of


def _special_id(subject: str, kind: _Kind) -> Optional[Generator]:
    """Ids of the well-known shapes: API Gateway's 10 characters, CloudFront's `E...`, Route 53's `Z...`."""
    lowered = subject.lower()
    if kind.namespace == "apigateway" and lowered in ("restapi", "api", "domainname", "vpclink", "apikey"):
        return lambda ctx, inputs: _lower_id(ctx, 10, "api")
    if kind.namespace == "apigateway" and lowered in ("resource", "deployment", "authorizer", "integration", "route", "model"):
        return lambda ctx, inputs: _lower_id(ctx, 6, subject)
    if kind.namespace == "cloudfront" and lowered in ("distribution", "originaccessidentity", "originaccesscontrol"):
        return lambda ctx, inputs: _upper_id(ctx, "E", 13, subject)
    if kind.module == "route53" and lowered in ("zone", "hostedzone"):
        return lambda ctx, inputs: _upper_id(ctx, "Z", 20, "zone")
    if kind.module == "route53" and lowered == "record":
        return lambda ctx, inputs: f"{inputs.get('zoneId')}_{inputs.get('name')}_{inputs.get('type')}"
    if kind.namespace == "states" or (kind.module, lowered) in (("sns", "topic"), ("ecs", "service"), ("ecs", "cluster")):
        return lambda ctx, inputs: _resource_arn(ctx, kind, inputs)
    return None


# --- values by property name -----------------------------------------------------------------


def _generator(
    prop: Prop, kind: _Kind, depth: int, *, invoke: bool = False, twin: bool = False, list_item: bool = False
) -> Optional[Generator]:
    """How to make this property's value; None to leave it out.

    A `twin` is a property that is also an input the program left out: the provider fills in a
    default this module cannot know, so only values whose format the name tells are generated
    (ARNs, ids, names, dates, addresses), lists and maps stay empty and numbers and booleans out."""
    if prop.kind == STR:
        return _string_generator(prop, kind, depth - 1 if list_item else depth, invoke, twin)
    if prop.kind == INT and prop.name == "port" and kind.module in ("rds", "docdb", "neptune", "redshift", "elasticache"):
        return _database_port
    if prop.kind in (INT, FLOAT, BOOL) and twin:
        return None
    if prop.kind == INT:
        value = 443 if prop.name.lower().endswith("port") else 1
        return lambda ctx, inputs: value
    if prop.kind == FLOAT:
        return lambda ctx, inputs: 1.0
    if prop.kind == BOOL:
        return lambda ctx, inputs: False
    if prop.kind == MAP:
        if prop.name == "tagsAll":
            return lambda ctx, inputs: dict(inputs.get("tags") or {})
        return lambda ctx, inputs: {}
    if prop.kind == LIST and depth == 0 and (kind.module, kind.subject, prop.name) == ("acm", "certificate", "domainValidationOptions"):
        return _acm_validation_options
    if prop.kind == LIST:
        if prop.item is None or depth >= _MAX_VALUE_DEPTH or twin:
            return lambda ctx, inputs: []
        item = _generator(replace(prop.item, name=_singular(prop.name)), kind, depth + 1, invoke=invoke, list_item=True)
        if item is None:
            return lambda ctx, inputs: []
        return lambda ctx, inputs: [item(ctx, inputs)]
    if prop.kind == OBJECT:
        if depth >= _MAX_VALUE_DEPTH:
            return lambda ctx, inputs: {}
        fields = []
        for field in prop.fields:
            if field.required and field.kind != ASSET:
                generate = _generator(field, kind, depth + 1, invoke=invoke, twin=twin)
                if generate is not None:
                    fields.append((field.name, generate))
        frozen = tuple(fields)
        return lambda ctx, inputs: {name: generate(ctx, inputs) for name, generate in frozen}
    return None if twin else (lambda ctx, inputs: {})


def _string_generator(prop: Prop, kind: _Kind, depth: int, invoke: bool, twin: bool) -> Optional[Generator]:
    name = prop.name
    if prop.enum:
        if twin:
            return None
        first = prop.enum[0]
        return lambda ctx, inputs: first
    top = depth == 0
    if name == "arn" and top:
        return lambda ctx, inputs: _resource_arn(ctx, kind, inputs)
    if name == "id":
        if invoke and top:
            return _invoke_id(kind)
        return lambda ctx, inputs: _lower_id(ctx, 12, "nested-id")
    if name == "name" and top:
        return _name_of
    if name == "region":
        return lambda ctx, inputs: ctx.region
    if name in ("accountId", "ownerId", "registryId", "awsAccountId", "callerAccountId"):
        return lambda ctx, inputs: ctx.account
    if name == "availabilityZone" or name.endswith("AvailabilityZone"):
        return lambda ctx, inputs: f"{ctx.region}a"
    special = _special_string(name, kind)
    if special is not None:
        return special
    if name.endswith(("Arn", "ARN")) or name == "arn":
        subject = name[:-3] or kind.subject
        return lambda ctx, inputs: (
            f"arn:aws:{kind.namespace}:{ctx.region}:{ctx.account}:{_kebab(subject)}/{generated_name(ctx.name, ctx.seed + subject)}"
        )
    if name.endswith(("Id", "ID")) and len(name) > 2:
        return _id_property(name[:-2], kind)
    if name == "notAfter":  # a certificate's expiry: 13 months after its creation, as ACM issues them
        return lambda ctx, inputs: EXPIRES_AT
    if _is_date(name):
        return lambda ctx, inputs: CREATED_AT
    if name == "uuid" or name.endswith("Uuid"):
        return lambda ctx, inputs: fake_uuid(ctx.seed + name)
    if name == "fqdn":
        return lambda ctx, inputs: str(inputs.get("name") or _host(ctx, kind)).rstrip(".")
    if _is_host(name):
        return lambda ctx, inputs: _host(ctx, kind)
    if _is_url(name):
        return lambda ctx, inputs: f"https://{_host(ctx, kind)}/"
    if name.endswith(("Endpoint", "endpoint")):
        return lambda ctx, inputs: f"https://{_host(ctx, kind)}"
    if name.lower().endswith(("ipaddress", "privateip", "publicip")) or name == "ip":
        if "public" in name.lower():
            return lambda ctx, inputs: _PUBLIC_IP_PREFIX + str(1 + int(ctx.hex(2), 16) % 254)
        return lambda ctx, inputs: f"10.0.{int(ctx.hex(2), 16) % 256}.{1 + int(stable_hex(ctx.seed + 'ip', 2), 16) % 254}"
    if "cidr" in name.lower():
        return lambda ctx, inputs: "10.0.0.0/16"
    if name.lower().endswith(("sha256", "hash")):
        return lambda ctx, inputs: base64.b64encode(bytes.fromhex(stable_hex(ctx.seed + name, 64))).decode()
    if name.lower() in ("etag", "checksum", "fingerprint"):
        return lambda ctx, inputs: stable_hex(ctx.seed + name, 32)
    if twin:
        return None
    if name.endswith(("Status", "State")) or name in ("status", "state"):
        value = _ready_state(kind, name)
        return lambda ctx, inputs: value
    enumerated = _botocore_enum_value(kind, name)
    if enumerated is not None:
        return lambda ctx, inputs: enumerated
    if name.endswith("Version") or name == "version":
        return lambda ctx, inputs: "1"
    if name.endswith("Name"):
        return lambda ctx, inputs: generated_name(ctx.name, ctx.seed + name)
    return lambda ctx, inputs: f"{_kebab(name)}-{stable_hex(ctx.seed + name, 8)}"


def _special_string(name: str, kind: _Kind) -> Optional[Generator]:
    """Properties whose format is a composition of others, as the provider documents them."""
    if kind.module == "lambda" and kind.subject == "function":
        if name == "invokeArn":
            return lambda ctx, inputs: _lambda_invoke_arn(ctx, _resource_arn(ctx, kind, inputs))
        if name == "qualifiedArn":
            return lambda ctx, inputs: _resource_arn(ctx, kind, inputs) + ":$LATEST"
        if name in ("qualifiedInvokeArn", "responseStreamingInvokeArn"):
            return lambda ctx, inputs: _lambda_invoke_arn(ctx, _resource_arn(ctx, kind, inputs) + ":$LATEST")
        if name == "version":
            return lambda ctx, inputs: "$LATEST"
    if kind.namespace == "apigateway":
        if name == "executionArn":
            return lambda ctx, inputs: f"arn:aws:execute-api:{ctx.region}:{ctx.account}:{_api_id(ctx, inputs)}" + (
                f"/{inputs['stageName']}" if isinstance(inputs.get("stageName"), str) else "")
        if name == "invokeUrl":
            return lambda ctx, inputs: f"https://{_api_id(ctx, inputs)}.execute-api.{ctx.region}.amazonaws.com/" + (
                inputs["stageName"] if isinstance(inputs.get("stageName"), str) else "")
        if name == "apiEndpoint":
            return lambda ctx, inputs: f"https://{_api_id(ctx, inputs)}.execute-api.{ctx.region}.amazonaws.com"
    if kind.namespace == "cloudfront" and name == "domainName":
        return lambda ctx, inputs: f"d{_lower_id(ctx, 13, 'cf')}.cloudfront.net"
    if kind.namespace == "cloudfront" and name == "hostedZoneId":
        return lambda ctx, inputs: "Z2FDTNDATAQYW2"  # CloudFront's one hosted zone, in every account
    if kind.module in ("lb", "alb", "elb") and name == "dnsName":
        return lambda ctx, inputs: f"{_name_of(ctx, inputs)[:20]}-{int(ctx.hex(8), 16)}.{ctx.region}.elb.amazonaws.com"
    if kind.module == "rds" and name == "endpoint":
        return lambda ctx, inputs: f"{_rds_address(ctx, inputs)}:{inputs.get('port') or 5432}"
    if kind.module == "rds" and name == "address":
        return _rds_address
    if kind.module == "route53" and name == "nameServers":
        return lambda ctx, inputs: f"ns-{int(ctx.hex(3), 16) % 2048}.awsdns-{int(ctx.hex(2), 16) % 64:02d}.org"
    if kind.module == "ecs" and kind.subject == "taskDefinition" and name == "arnWithoutRevision":
        return lambda ctx, inputs: _resource_arn(ctx, kind, inputs).rsplit(":", 1)[0]
    if kind.module == "ecr" and kind.subject == "authorizationToken" and name == "userName":
        return lambda ctx, inputs: "AWS"  # ECR's registry login user, always
    if kind.module == "lambda" and name == "functionArn":  # the function the program named, by name or ARN
        return lambda ctx, inputs: _function_arn(ctx, inputs.get("functionName"))
    if kind.module == "lambda" and kind.subject == "eventSourceMapping" and name == "state":
        return lambda ctx, inputs: "Enabled" if inputs.get("enabled", True) is not False else "Disabled"
    if kind.module == "secretsmanager" and name == "versionId":
        return lambda ctx, inputs: fake_uuid(ctx.seed + name)
    if kind.module == "dynamodb" and kind.subject == "table" and name in ("streamArn", "streamLabel"):
        # A stream's label is its creation time; its ARN the table's ARN and the label. No stream: empty.
        if name == "streamLabel":
            return lambda ctx, inputs: _STREAM_LABEL if inputs.get("streamEnabled") else ""
        return lambda ctx, inputs: (
            f"{_resource_arn(ctx, kind, inputs)}/stream/{_STREAM_LABEL}" if inputs.get("streamEnabled") else ""
        )
    if kind.module == "sqs" and name in ("url", "id"):
        return lambda ctx, inputs: f"https://sqs.{ctx.region}.amazonaws.com/{ctx.account}/{_name_of(ctx, inputs)}"
    return None


_STREAM_LABEL = CREATED_AT.replace("Z", ".000")


def _acm_validation_options(ctx: FakeContext, inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One DNS validation record per name the certificate covers (its domain, then its alternative
    names), as ACM gives them: `_<32 hex>.<domain>.` CNAME `_<32 hex>.<10 letters>.acm-validations.aws.`."""
    names = [inputs.get("domainName"), *(inputs.get("subjectAlternativeNames") or [])]
    options = []
    for name in dict.fromkeys(str(n) for n in names if n):  # ACM lists each name once
        bare = name.removeprefix("*.")
        options.append({
            "domainName": name,
            "resourceRecordName": f"_{stable_hex(ctx.seed + name, 32)}.{bare}.",
            "resourceRecordType": "CNAME",
            "resourceRecordValue": f"_{stable_hex(ctx.seed + name + 'value', 32)}.{_lower_id(ctx, 10, name)}.acm-validations.aws.",
        })
    return options


def _function_arn(ctx: FakeContext, function: Any) -> str:
    if isinstance(function, str) and function.startswith("arn:"):
        return function.removesuffix(":$LATEST")
    name = function if isinstance(function, str) and function else generated_name(ctx.name, ctx.seed)
    return f"arn:aws:lambda:{ctx.region}:{ctx.account}:function:{name}"


def _lambda_invoke_arn(ctx: FakeContext, function_arn: str) -> str:
    return f"arn:aws:apigateway:{ctx.region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


def _api_id(ctx: FakeContext, inputs: Mapping[str, Any]) -> str:
    for key in ("restApi", "apiId"):
        value = inputs.get(key)
        if isinstance(value, str) and value:
            return value
    return _lower_id(ctx, 10, "api")  # the API's own id (a RestApi, an HTTP API)


def _rds_address(ctx: FakeContext, inputs: Mapping[str, Any]) -> str:
    return f"{_name_of(ctx, inputs)}.{_lower_id(ctx, 12, 'rds')}.{ctx.region}.rds.amazonaws.com"


def _id_property(subject: str, kind: _Kind) -> Generator:
    subject = subject[:1].lower() + subject[1:]
    prefix = _EC2_PREFIXES.get(subject)
    if prefix:
        return lambda ctx, inputs: _ec2_id(ctx, prefix)
    if subject in ("hostedZone", "zone"):
        return lambda ctx, inputs: _upper_id(ctx, "Z", 20, "zone")
    if subject in ("key", "kmsKey"):
        return lambda ctx, inputs: fake_uuid(ctx.seed + "key")
    if subject in ("restApi", "api"):
        return lambda ctx, inputs: _lower_id(ctx, 10, "api")
    if subject == "availabilityZone":
        return lambda ctx, inputs: f"{ctx.region.replace('-', '')[:4]}-az1"
    return lambda ctx, inputs: _lower_id(ctx, 17, subject)


def _invoke_id(kind: _Kind) -> Generator:
    """A data source's `id`: the id of what it looked up where the subject tells its form."""
    prefix = kind.ec2_prefix
    if prefix:
        return lambda ctx, inputs: _ec2_id(ctx, prefix)
    if kind.module == "route53" and kind.subject == "zone":
        return lambda ctx, inputs: _upper_id(ctx, "Z", 20, "zone")
    return lambda ctx, inputs: ctx.region if kind.module == "index" else _lower_id(ctx, 12, "id")


def _is_date(name: str) -> bool:
    return name.endswith(("Date", "Time", "Timestamp", "At")) or name in (
        "lastModified", "created", "createdTime", "creationTime", "notBefore")  # fmt: skip


def _is_host(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith(("dnsname", "domainname", "hostname", "dns")) or name in ("address", "host")


def _database_port(ctx: FakeContext, inputs: Mapping[str, Any]) -> int:
    """The engine's default port, as the provider reports it when the program gives none."""
    engine = str(inputs.get("engine") or "")
    if "postgres" in engine:
        return 5432
    if "sqlserver" in engine:
        return 1433
    if "oracle" in engine:
        return 1521
    if "redis" in engine or "valkey" in engine:
        return 6379
    return 3306 if engine else 5432


def _is_url(name: str) -> bool:
    return name.endswith(("Url", "Uri", "URL", "URI")) or name in ("url", "uri")


def _host(ctx: FakeContext, kind: _Kind) -> str:
    return f"{generated_name(ctx.name, ctx.seed)}.{kind.host}.{ctx.region}.amazonaws.com".lower()


_PREFERRED_VALUES = ("x86_64", "hvm", "ebs", "HTTP", "TCP", "ipv4", "standard", "default", "STANDARD", "DEFAULT")


@functools.lru_cache(maxsize=None)
def _botocore_enum_value(kind: _Kind, name: str) -> Optional[str]:
    """A property's value from the botocore enum its name matches (an AMI's `architecture`: `x86_64`)."""
    model = _service(kind.service)
    if model is None:
        return None
    stem = name[:1].upper() + name[1:]
    subject = kind.subject[:1].upper() + kind.subject[1:]
    for shape_name in (f"{subject}{stem}", f"{stem}Values", f"{stem}Type", stem, f"{stem}Name"):
        if shape_name in model.shape_names:
            values = getattr(model.shape_for(shape_name), "enum", None) or []
            if values:
                return next((v for v in (*_READY_STATES, *_PREFERRED_VALUES) if v in values), values[0])
    return None


@functools.lru_cache(maxsize=None)
def _ready_state(kind: _Kind, name: str) -> str:
    """The service's "ready" value of a status property, from botocore's enums where it has one."""
    model = _service(kind.service)
    if model is not None:
        subject = kind.subject[:1].upper() + kind.subject[1:]
        stem = name[:1].upper() + name[1:]
        for shape_name in (f"{subject}{stem}", f"{subject}Status", f"{subject}State", stem, f"{stem}Type"):
            if shape_name in model.shape_names:
                values = getattr(model.shape_for(shape_name), "enum", None) or []
                for ready in _READY_STATES:
                    if ready in values:
                        return ready
    return "available" if kind.module in ("ec2", "rds") else "ACTIVE"
