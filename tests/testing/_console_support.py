"""What the console's test modules share."""

from __future__ import annotations

import json

from appflags.testing import LocalAppConfig


def start_linear_deployment(
    server: LocalAppConfig,
    content: object = None,
    strategy: str = "AppConfig.Linear20PercentEvery6Minutes",
) -> None:
    """A deployment of ``content`` as shop/prod/settings through boto3, gradual unless
    ``strategy`` says otherwise."""
    ac = server.client("appconfig")
    app = ac.create_application(Name="shop")["Id"]
    env = ac.create_environment(ApplicationId=app, Name="prod")["Id"]
    profile = ac.create_configuration_profile(
        ApplicationId=app, Name="settings", LocationUri="hosted"
    )["Id"]
    ac.create_hosted_configuration_version(
        ApplicationId=app,
        ConfigurationProfileId=profile,
        Content=json.dumps({"limit": 10} if content is None else content).encode(),
        ContentType="application/json",
    )
    ac.start_deployment(
        ApplicationId=app,
        EnvironmentId=env,
        ConfigurationProfileId=profile,
        ConfigurationVersion="1",
        DeploymentStrategyId=strategy,
    )
