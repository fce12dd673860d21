"""The APK signature verifier by scheme: certificates, v1 (JAR), v2/v3 blocks; gate.apk.apksig runs them."""
