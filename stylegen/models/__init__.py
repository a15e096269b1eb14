"""Neural networks only: plain nn.Modules, no I/O, no optimisers.

Importing this package registers every model in ``registry``.
"""

from stylegen.models import classifier  # noqa: F401  (each import registers its models)
from stylegen.models import discriminator  # noqa: F401
from stylegen.models import generator  # noqa: F401
from stylegen.models import harmony  # noqa: F401
