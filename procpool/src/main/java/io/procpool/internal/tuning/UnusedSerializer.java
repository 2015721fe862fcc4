package io.procpool.internal.tuning;

import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.JSerializer;

/**
 * What procpool's own actor system builds in place of the serializers of Pekko Cluster, Remote and
 * Jackson ({@link SystemTuning#withoutNetworkSerializers}): nothing to load, nothing to build, and
 * never called, since that system sends nothing over the network and binds no class to it. Pekko
 * hands each serializer its binding name; the identifier comes from it, as every serializer of a
 * system needs its own.
 */
public final class UnusedSerializer extends JSerializer {

    private final String bindingName;
    private final int identifier;

    public UnusedSerializer(ExtendedActorSystem system, String bindingName) {
        this.bindingName = bindingName;
        // Far above Pekko's own identifiers (0 to 40) and clear of the small numbers applications pick.
        this.identifier = 0x5050_0000 | (("procpool-unused:" + bindingName).hashCode() & 0xFFFF);
    }

    @Override
    public int identifier() {
        return identifier;
    }

    @Override
    public boolean includeManifest() {
        return false;
    }

    @Override
    public byte[] toBinary(Object o) {
        throw new UnsupportedOperationException("serializer '" + bindingName + "' is off in procpool's own actor system, which sends "
                + "nothing over the network");
    }

    @Override
    public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
        throw new UnsupportedOperationException("serializer '" + bindingName + "' is off in procpool's own actor system");
    }
}
