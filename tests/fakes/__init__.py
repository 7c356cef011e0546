"""Local stand-ins for the services phocap talks to; real servers on 127.0.0.1, not mocks."""
