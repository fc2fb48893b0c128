//! Modeldeck's `Cluster` port on Kubernetes.
