"""The platform team's pages: accounts, communes and communities, plugins (docs/administration.md)."""
