package io.procpool.internal.cluster;

/**
 * Every message that crosses the network between nodes implements this: it is bound to Pekko's
 * Jackson CBOR serializer ({@link ClusterConfig}), and Java serialization stays off.
 */
public interface ClusterMessage {
}
