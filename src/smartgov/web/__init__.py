"""The web kit: request dependencies, templating, errors, request limits and sign-in
throttling, below every capability (it imports none); `server` assembles the app."""
