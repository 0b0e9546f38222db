"""Errors shared by the services; each service module adds its own named ones."""


class ServiceError(Exception):
    """A use case refused: the message is safe to show to the user."""


class NotFoundError(ServiceError):
    pass


class PermissionDeniedError(ServiceError):
    pass
