"""The demo city, plugged into the platform as any city would plug in its own:
its registers (tables, views, generator), the ``Registries`` the setting
``SMARTGOV_REGISTRIES`` names by default, what its departments publish and grant, its
accounts and its past. The platform's packages never import it."""

from smartgov.core.capabilities import Capability

# Its registers stay in the migrations' model check: the migration history made them.
CAPABILITY = Capability(
    name="demo", models=("smartgov.demo.models",), cli="smartgov.demo.cli:demo_app"
)
