"""The web layer of a service: app factory, dependencies, problem+json, ops routes."""

from xietong_common.web.app import ServiceSpec as ServiceSpec
from xietong_common.web.app import create_app as create_app
from xietong_common.web.deps import Context as Context
from xietong_common.web.deps import CurrentPrincipal as CurrentPrincipal
