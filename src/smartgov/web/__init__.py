"""web capability: the FastAPI app, its API routers and its pages."""
