"""Sources: where configuration bytes come from. A source knows transport only."""

from appflags.sources._base import Fetched, Source, SourceError
from appflags.sources.agent import AgentSource
from appflags.sources.appconfigdata import AppConfigDataSource
from appflags.sources.file import FileSource

__all__ = ["AgentSource", "AppConfigDataSource", "Fetched", "FileSource", "Source", "SourceError"]
